// RedirectAction compiled once; builds the Location and status of a redirect response per request.
import {
  type RedirectAction,
  RedirectAction_RedirectResponseCode as Code,
} from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import { configError } from "./config-error.ts";
import type { RequestView } from "./request-view.ts";
import { compilePathRewrite, type PathRewrite, queryStart, rewritePath } from "./rewrite.ts";

/** A compiled redirect. */
export interface CompiledRedirect {
  readonly status: number;
  /** New scheme, or undefined to keep the request's. */
  readonly scheme: string | undefined;
  /** New authority (host_redirect), or undefined to keep the request's. */
  readonly host: string | undefined;
  /** port_redirect; 0 = unchanged. */
  readonly port: number;
  /** path_redirect: the full new path (its own query, if any, wins over the request's). */
  readonly path: string | undefined;
  readonly rewrite: PathRewrite | undefined;
  readonly stripQuery: boolean;
}

const STATUS: Record<number, number> = {
  [Code.MOVED_PERMANENTLY]: 301,
  [Code.FOUND]: 302,
  [Code.SEE_OTHER]: 303,
  [Code.TEMPORARY_REDIRECT]: 307,
  [Code.PERMANENT_REDIRECT]: 308,
};

export function compileRedirect(r: RedirectAction, path: string): CompiledRedirect {
  const status = STATUS[r.responseCode];
  if (status === undefined) {
    throw configError(`${path}.response_code`, `unknown response code ${r.responseCode}`);
  }
  if (r.portRedirect > 65535) throw configError(`${path}.port_redirect`, "must be a port number");
  const scheme = r.schemeRewriteSpecifier;
  const pathSpec = r.pathRewriteSpecifier;
  let rewrite: PathRewrite | undefined;
  if (pathSpec.case === "prefixRewrite") rewrite = { kind: "prefix", value: pathSpec.value };
  if (pathSpec.case === "regexRewrite") rewrite = compilePathRewrite("", pathSpec.value, path);
  return {
    status,
    scheme: scheme.case === "httpsRedirect"
      ? (scheme.value ? "https" : undefined)
      : scheme.case === "schemeRedirect"
      ? scheme.value.toLowerCase()
      : undefined,
    host: r.hostRedirect === "" ? undefined : r.hostRedirect,
    port: r.portRedirect,
    path: pathSpec.case === "pathRedirect" ? pathSpec.value : undefined,
    rewrite,
    stripQuery: r.stripQuery,
  };
}

/**
 * The Location for `req`, following Envoy: the request's port is dropped when a port_redirect
 * replaces it, or when the scheme changes and the port was the old scheme's default (:80 for
 * http, :443 for https). `matchedLength` is what the route match consumed (for prefix_rewrite).
 */
export function redirectLocation(r: CompiledRedirect, req: RequestView, matchedLength: number): string {
  const requestScheme = req.input.scheme ?? "http";
  const scheme = r.scheme ?? requestScheme;
  let host: string;
  if (r.host !== undefined) {
    host = r.port !== 0 ? stripPort(r.host) : r.host;
  } else {
    host = req.input.authority;
    const portAt = portIndex(host);
    if (portAt >= 0) {
      const port = host.slice(portAt);
      const defaultPort = (requestScheme === "http" && port === ":80") ||
        (requestScheme === "https" && port === ":443");
      if (r.port !== 0 || (scheme !== requestScheme && defaultPort)) host = host.slice(0, portAt);
    }
  }
  if (r.port !== 0) host += `:${r.port}`;
  const original = req.input.path;
  let path: string;
  if (r.path !== undefined) {
    path = r.path.includes("?") || r.stripQuery ? r.path : r.path + original.slice(queryStart(original));
  } else {
    path = r.rewrite === undefined ? original : rewritePath(r.rewrite, original, matchedLength);
    if (r.stripQuery) path = path.slice(0, queryStart(path));
  }
  return `${scheme}://${host}${path}`;
}

/** Index of the ":port" suffix of an authority (IPv6 literals in brackets), or -1. */
export function portIndex(authority: string): number {
  const colon = authority.lastIndexOf(":");
  if (colon < 0) return -1;
  if (authority.startsWith("[")) return authority.lastIndexOf("]") === colon - 1 ? colon : -1;
  return authority.indexOf(":") === colon ? colon : -1;
}

function stripPort(authority: string): string {
  const at = portIndex(authority);
  return at < 0 ? authority : authority.slice(0, at);
}
