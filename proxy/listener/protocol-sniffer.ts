// Guesses a connection's protocol from its first bytes: TLS, HTTP/2 preface, HTTP/1 request line, or raw TCP.
export type SniffedProtocol = "tls" | "http2" | "http1" | "tcp" | "need-more";

/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
const H2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/**
 * Request methods recognised as HTTP/1 (each followed by a space): RFC 9110's, PATCH, and the
 * WebDAV/extension methods the common HTTP/1 parsers (llhttp) accept, so sniffing agrees with them.
 */
const HTTP1_METHODS: readonly string[] = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
  "PURGE",
  "COPY",
  "LOCK",
  "UNLOCK",
  "MOVE",
  "MKCOL",
  "PROPFIND",
  "PROPPATCH",
  "SEARCH",
  "REPORT",
  "MKCALENDAR",
  "MKACTIVITY",
  "CHECKOUT",
  "MERGE",
  "NOTIFY",
  "SUBSCRIBE",
  "UNSUBSCRIBE",
  "M-SEARCH",
  "LINK",
  "UNLINK",
  "BIND",
  "REBIND",
  "UNBIND",
  "ACL",
  "SOURCE",
  "QUERY",
].map((m) => m + " ");

const HTTP1: readonly string[] = Object.freeze(["http/1.1"]);
const H2C: readonly string[] = Object.freeze(["h2c"]);
const NONE: readonly string[] = Object.freeze([]);

/** Classifies the first bytes of a connection; "need-more" while the bytes are still ambiguous. */
export function sniffProtocol(bytes: Uint8Array): SniffedProtocol {
  if (bytes.length === 0) return "need-more";
  if (bytes[0] === 0x16) {
    // A TLS handshake record: content type 22, version 3.0–3.4.
    if (bytes.length >= 2 && bytes[1] !== 0x03) return "tcp";
    if (bytes.length >= 3 && bytes[2] > 0x04) return "tcp";
    return bytes.length >= 3 ? "tls" : "need-more";
  }
  const preface = prefixState(bytes, H2_PREFACE);
  if (preface === "full") return "http2";
  let pending = preface === "partial";
  for (let i = 0; i < HTTP1_METHODS.length; i++) {
    const state = prefixState(bytes, HTTP1_METHODS[i]);
    if (state === "full") return "http1";
    if (state === "partial") pending = true;
  }
  return pending ? "need-more" : "tcp";
}

/**
 * "full" if `bytes` starts with `text`, "partial" if `bytes` is a proper prefix of it, else "no".
 * Compares byte by byte against ASCII, so nothing is decoded or allocated.
 */
function prefixState(bytes: Uint8Array, text: string): "full" | "partial" | "no" {
  const n = Math.min(bytes.length, text.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== text.charCodeAt(i)) return "no";
  return bytes.length >= text.length ? "full" : "partial";
}

/** The application protocols Envoy's http_inspector reports for a sniffed protocol. */
export function applicationProtocolsFor(kind: SniffedProtocol): readonly string[] {
  if (kind === "http1") return HTTP1;
  if (kind === "http2") return H2C;
  return NONE;
}

/** The transport_protocol a filter chain sees: "tls" for TLS, "raw_buffer" for everything else. */
export function transportProtocolFor(kind: SniffedProtocol): "tls" | "raw_buffer" {
  return kind === "tls" ? "tls" : "raw_buffer";
}
