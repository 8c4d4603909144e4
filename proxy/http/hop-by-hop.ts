// Strips connection-specific (hop-by-hop) headers when a message crosses the proxy (RFC 9110 §7.6.1).
import type { HeaderMap } from "./types.ts";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
]);

/** A copy of `headers` without hop-by-hop headers or those named in `connection`; keeps `te: trailers`. */
export function forwardableHeaders(headers: HeaderMap, keepUpgrade = false): HeaderMap {
  const out: HeaderMap = {};
  const connection = headers["connection"];
  const named = typeof connection === "string" && connection !== "keep-alive" && connection !== "close"
    ? new Set(connection.toLowerCase().split(",").map((s) => s.trim()))
    : undefined;
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || named?.has(name)) continue;
    out[name] = headers[name];
  }
  if (headers["te"] === "trailers") out["te"] = "trailers";
  if (keepUpgrade && headers["upgrade"] !== undefined) {
    out["upgrade"] = headers["upgrade"];
    out["connection"] = "upgrade";
  }
  return out;
}
