// Per-connection-manager header policy: request id, x-forwarded-*, the server header, path normalization.
import {
  type HttpConnectionManager,
  HttpConnectionManager_ServerHeaderTransformation as ServerHeader,
} from "../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import type { DownstreamRequest, HeaderMap } from "./types.ts";
import { randomRequestId } from "./request-id.ts";

export interface HeaderPolicy {
  /** The path used for routing: dot segments removed / slashes merged when configured. */
  routingPath(path: string): string;
  /** Edits the upstream copy of the request headers. */
  prepareRequest(req: DownstreamRequest, headers: HeaderMap): void;
  /** Sets the server header on a response. */
  prepareResponse(headers: HeaderMap): void;
}

export function createHeaderPolicy(config: HttpConnectionManager): HeaderPolicy {
  const useRemoteAddress = config.useRemoteAddress ?? false;
  const appendXff = useRemoteAddress && !config.skipXffAppend;
  const generateRequestId = config.generateRequestId ?? true;
  const preserveExternal = config.preserveExternalRequestId;
  const serverName = config.serverName || "weft";
  const serverMode = config.serverHeaderTransformation;
  const normalize = config.normalizePath ?? false;
  const merge = config.mergeSlashes;
  return {
    routingPath(path) {
      if (!normalize && !merge) return path;
      const q = queryIndex(path);
      let p = path.slice(0, q);
      if (merge) p = p.replace(/\/{2,}/g, "/");
      if (normalize) p = removeDotSegments(p);
      return p + path.slice(q);
    },
    prepareRequest(req, headers) {
      // The downstream codec answers "Expect: 100-continue" itself (as Envoy does without proxy_100_continue).
      const expect = headers["expect"];
      if (typeof expect === "string" && expect.toLowerCase() === "100-continue") delete headers["expect"];
      const external = useRemoteAddress && !isInternalAddress(req.remoteAddress);
      if (generateRequestId && (!headers["x-request-id"] || (external && !preserveExternal))) {
        headers["x-request-id"] = randomRequestId();
      }
      if (appendXff) {
        const xff = headers["x-forwarded-for"];
        headers["x-forwarded-for"] = xff ? `${xff}, ${req.remoteAddress}` : req.remoteAddress;
      }
      if (useRemoteAddress || !headers["x-forwarded-proto"]) headers["x-forwarded-proto"] = req.scheme;
    },
    prepareResponse(headers) {
      if (serverMode === ServerHeader.PASS_THROUGH) return;
      if (serverMode === ServerHeader.APPEND_IF_ABSENT && headers["server"] !== undefined) return;
      headers["server"] = serverName;
    },
  };
}

function queryIndex(path: string): number {
  const q = path.indexOf("?");
  return q < 0 ? path.length : q;
}

/** RFC 3986 §5.2.4 remove_dot_segments. */
export function removeDotSegments(path: string): string {
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === ".") continue;
    if (seg === "..") {
      if (out.length > 1) out.pop();
      continue;
    }
    out.push(seg);
  }
  const last = path.split("/").pop();
  if (last === "." || last === "..") out.push("");
  const result = out.join("/");
  return result.startsWith("/") ? result : "/" + result;
}

/** Envoy's notion of an internal address: RFC 1918, loopback, link-local, IPv6 ULA. */
export function isInternalAddress(ip: string): boolean {
  return /^(10\.|127\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/.test(ip) || ip === "::1" ||
    /^f[cd]/i.test(ip);
}
