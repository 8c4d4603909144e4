// RouteAction.hash_policy compiled once; hashes a request for RING_HASH / MAGLEV load balancing.
import type { RouteAction_HashPolicy } from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import type { HeaderMap } from "../http/types.ts";
import { combineHash, hash32 } from "../cluster/lb/hash.ts";
import { configError } from "./config-error.ts";
import { type CompiledSubstitution, compileSubstitution } from "./regex.ts";
import { firstQueryValue } from "./request-view.ts";

/** One compiled hash policy entry. */
export type HashPolicyEntry =
  | {
    readonly kind: "header";
    readonly name: string;
    readonly rewrite?: CompiledSubstitution;
    readonly terminal: boolean;
  }
  | { readonly kind: "cookie"; readonly name: string; readonly terminal: boolean }
  | { readonly kind: "source_ip"; readonly terminal: boolean }
  | { readonly kind: "query_parameter"; readonly name: string; readonly terminal: boolean };

/** A route's hash policies, in order. */
export interface HashPolicy {
  readonly entries: readonly HashPolicyEntry[];
}

/** What hashing reads from a request. */
export interface HashInput {
  readonly authority: string;
  /** Path and query. */
  readonly path: string;
  readonly method: string;
  readonly headers: HeaderMap;
  /** Downstream address (connection_properties.source_ip); policies on it yield nothing when absent. */
  readonly sourceIp?: string;
}

/**
 * Compiles hash_policy. Cookies are hashed when present only: Weft does not generate a cookie
 * (the `ttl`/`path`/`attributes` fields are accepted and unused). filter_state is not supported.
 */
export function compileHashPolicy(
  policies: readonly RouteAction_HashPolicy[],
  path: string,
): HashPolicy | undefined {
  if (policies.length === 0) return undefined;
  const entries = policies.map((p, i): HashPolicyEntry => {
    const at = `${path}[${i}]`;
    const terminal = p.terminal;
    const spec = p.policySpecifier;
    switch (spec.case) {
      case "header": {
        const name = spec.value.headerName.toLowerCase();
        if (name === "") throw configError(`${at}.header.header_name`, "a header name is required");
        const rewrite = spec.value.regexRewrite === undefined
          ? undefined
          : compileSubstitution(spec.value.regexRewrite, `${at}.header.regex_rewrite`);
        return { kind: "header", name, rewrite, terminal };
      }
      case "cookie":
        if (spec.value.name === "") throw configError(`${at}.cookie.name`, "a cookie name is required");
        return { kind: "cookie", name: spec.value.name, terminal };
      case "connectionProperties":
        if (!spec.value.sourceIp) throw configError(`${at}.connection_properties.source_ip`, "must be true");
        return { kind: "source_ip", terminal };
      case "queryParameter":
        if (spec.value.name === "") {
          throw configError(`${at}.query_parameter.name`, "a parameter name is required");
        }
        return { kind: "query_parameter", name: spec.value.name, terminal };
      case "filterState":
        throw configError(`${at}.filter_state`, "filter_state hash policies are not supported");
      default:
        throw configError(at, "one of header, cookie, connection_properties or query_parameter is required");
    }
  });
  return { entries };
}

/**
 * The request's hash, or undefined when no policy produced a value (the LB then picks at random).
 * Like Envoy: each policy that yields a value is combined into the running hash (`combineHash`),
 * and a `terminal` policy that yields a value stops the walk.
 */
export function hashRequest(policy: HashPolicy, req: HashInput): number | undefined {
  let hash: number | undefined;
  for (const entry of policy.entries) {
    const value = entryHash(entry, req);
    if (value === undefined) continue;
    hash = hash === undefined ? value : combineHash(hash, value);
    if (entry.terminal) break;
  }
  return hash;
}

function entryHash(entry: HashPolicyEntry, req: HashInput): number | undefined {
  switch (entry.kind) {
    case "header":
      return headerHash(entry.name, entry.rewrite, req);
    case "cookie": {
      const value = cookieValue(req.headers.cookie, entry.name);
      return value === undefined ? undefined : hash32(value);
    }
    case "source_ip":
      return req.sourceIp === undefined || req.sourceIp === "" ? undefined : hash32(req.sourceIp);
    case "query_parameter": {
      let q = req.path.indexOf("?");
      if (q < 0) q = req.path.length;
      const value = firstQueryValue(req.path, q, entry.name);
      return value === undefined ? undefined : hash32(value);
    }
  }
}

function headerHash(
  name: string,
  rewrite: CompiledSubstitution | undefined,
  req: HashInput,
): number | undefined {
  let raw: string | string[] | undefined = req.headers[name];
  if (raw === undefined && (name === ":authority" || name === "host")) raw = req.authority;
  else if (raw === undefined && name === ":path") raw = req.path;
  else if (raw === undefined && name === ":method") raw = req.method;
  if (raw === undefined) return undefined;
  if (typeof raw === "string") return hashValue(raw, rewrite);
  if (raw.length === 0) return undefined;
  // Repeated values: hashed in sorted order so the header's order does not move the request.
  const sorted = [...raw].sort();
  let hash = hashValue(sorted[0], rewrite);
  for (let i = 1; i < sorted.length; i++) hash = combineHash(hash, hashValue(sorted[i], rewrite));
  return hash;
}

function hashValue(value: string, rewrite: CompiledSubstitution | undefined): number {
  return hash32(rewrite === undefined ? value : value.replace(rewrite.pattern, rewrite.replacement));
}

/** The value of cookie `name` in a Cookie header (quotes stripped), or undefined. */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const lines = typeof header === "string" ? [header] : header;
  for (const line of lines) {
    for (const pair of line.split(";")) {
      const eq = pair.indexOf("=");
      if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
      const value = pair.slice(eq + 1).trim();
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
  }
  return undefined;
}
