// The per-request facts route matching reads, derived lazily so a request pays only for what its routes test.
import type { HeaderMap } from "../http/types.ts";
import { asciiLower } from "./string-matcher.ts";

/** What the router hands to `RouteTable.route()` for one request. */
export interface RouteInput {
  /** Host header / :authority, as received (port included). */
  readonly authority: string;
  /** Path and query, as received. */
  readonly path: string;
  readonly method: string;
  /** Lower-case names, no pseudo-headers. */
  readonly headers: HeaderMap;
  /** Downstream scheme (after x-forwarded-proto handling); default "http". Used by redirects and require_tls. */
  readonly scheme?: string;
  /** Uniform random in [0, 1): runtime_fraction (one draw per request, shared by all routes) and weighted clusters. */
  readonly random: () => number;
}

const PATH_PARAMS = /;[^/]*/g;

/** One request as route matching sees it. Created once per `route()` call. */
export class RequestView {
  /** The path (with query) used for prefix matching. */
  readonly path: string;
  /** Index of "?" or "#" in `path`, or its length. */
  private readonly queryStart: number;
  private noQuery?: string;
  private lowered?: string;
  private loweredNoQuery?: string;
  private draw = -1;

  constructor(readonly input: RouteInput, ignorePathParameters: boolean) {
    let path = input.path;
    let q = queryIndex(path);
    if (ignorePathParameters && path.lastIndexOf(";", q) >= 0) {
      path = path.slice(0, q).replace(PATH_PARAMS, "") + path.slice(q);
      q = queryIndex(path);
    }
    this.path = path;
    this.queryStart = q;
  }

  /** The path without query string or fragment (exact, regex and path-separated matching). */
  get pathNoQuery(): string {
    return (this.noQuery ??= this.queryStart === this.path.length
      ? this.path
      : this.path.slice(0, this.queryStart));
  }

  get lowerPath(): string {
    return (this.lowered ??= asciiLower(this.path));
  }

  get lowerPathNoQuery(): string {
    return (this.loweredNoQuery ??= asciiLower(this.pathNoQuery));
  }

  /**
   * A header's value for matching: repeated values joined with ",", as Envoy does. `:authority`
   * (and `host` when absent from the map), `:path`, `:method` and `:scheme` read the request head.
   */
  header(name: string): string | undefined {
    const value = this.input.headers[name];
    if (value !== undefined) return typeof value === "string" ? value : value.join(",");
    if (name.charCodeAt(0) === 58 /* ":" */ || name === "host") return this.pseudo(name);
    return undefined;
  }

  private pseudo(name: string): string | undefined {
    switch (name) {
      case ":authority":
      case "host":
        return this.input.authority;
      case ":path":
        return this.input.path;
      case ":method":
        return this.input.method;
      case ":scheme":
        return this.input.scheme ?? "http";
    }
    return undefined;
  }

  /** The first value of a query parameter, undecoded (Envoy matches the raw query); "" for `?flag`. */
  queryParam(name: string): string | undefined {
    return firstQueryValue(this.path, this.queryStart, name);
  }

  /** The request's one random draw in [0, 1) for runtime fractions (Envoy's stable random value). */
  fractionDraw(): number {
    if (this.draw < 0) this.draw = this.input.random();
    return this.draw;
  }
}

function queryIndex(path: string): number {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) return i;
  }
  return path.length;
}

/** Scans `path` after `queryStart` for `name=` without building a map. */
export function firstQueryValue(path: string, queryStart: number, name: string): string | undefined {
  if (path.charCodeAt(queryStart) !== 63) return undefined;
  let end = path.indexOf("#", queryStart);
  if (end < 0) end = path.length;
  let i = queryStart + 1;
  while (i <= end) {
    let amp = path.indexOf("&", i);
    if (amp < 0 || amp > end) amp = end;
    if (path.startsWith(name, i)) {
      const after = i + name.length;
      if (after === amp) return "";
      if (path.charCodeAt(after) === 61 /* = */) return path.slice(after + 1, amp);
    }
    i = amp + 1;
  }
  return undefined;
}
