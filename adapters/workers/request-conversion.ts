// Converts a Worker's Request into the core's DownstreamRequest and the core's HttpResponse into a Response.
import type { DownstreamRequest, HeaderMap, HttpProtocol, HttpResponse } from "../../proxy/http/types.ts";
import { discardStream, toBodyInit } from "./streams.ts";

/** Headers a Worker cannot set on a Response (the runtime frames the message itself). */
const FRAMING = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"]);

/**
 * Fetch `Headers` → the core's lower-case map. Iteration joins repeated headers with ", " except
 * `set-cookie`, which it yields once per cookie: those stay an array.
 */
export function headersToMap(headers: Headers): HeaderMap {
  const out: HeaderMap = {};
  for (const [name, value] of headers) {
    const previous = out[name];
    if (previous === undefined) out[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else out[name] = [previous, value];
  }
  return out;
}

/** The core's map → fetch `Headers`, without framing headers the runtime owns. */
export function mapToHeaders(map: HeaderMap, skip: ReadonlySet<string> = FRAMING): Headers {
  const headers = new Headers();
  for (const name in map) {
    const value = map[name];
    if (value === undefined || skip.has(name)) continue;
    if (Array.isArray(value)) { for (const v of value) headers.append(name, v); }
    else headers.set(name, value);
  }
  return headers;
}

/** Cloudflare's `request.cf.httpProtocol` ("HTTP/1.1", "HTTP/2", "HTTP/3") in the core's terms. */
function protocolOf(request: Request): HttpProtocol {
  const cf = (request as { cf?: { httpProtocol?: unknown } }).cf;
  const p = typeof cf?.httpProtocol === "string" ? cf.httpProtocol : "";
  if (p === "HTTP/1.0") return "HTTP/1.0";
  return p === "HTTP/2" || p === "HTTP/3" ? "HTTP/2" : "HTTP/1.1";
}

/** A Request as the core sees it: remote address from CF-Connecting-IP, body as the request's own stream. */
export function toDownstreamRequest(request: Request): DownstreamRequest {
  const url = new URL(request.url);
  const headers = headersToMap(request.headers);
  const scheme = url.protocol === "https:" ? "https" : "http";
  const localPort = url.port ? Number(url.port) : scheme === "https" ? 443 : 80;
  return {
    method: request.method,
    scheme,
    authority: typeof headers["host"] === "string" ? headers["host"] : url.host,
    path: url.pathname + url.search,
    headers,
    protocol: protocolOf(request),
    body: request.body,
    trailers: () => undefined,
    signal: request.signal ?? new AbortController().signal,
    remoteAddress: request.headers.get("cf-connecting-ip") ?? "",
    remotePort: 0,
    localAddress: url.hostname,
    localPort,
    ...(scheme === "https" ? { tls: { serverName: url.hostname } } : {}),
  };
}

/** Statuses whose responses never carry a body. */
function isBodiless(method: string, status: number): boolean {
  return method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200);
}

/**
 * The core's response as a Worker Response. Trailers cannot be sent from a Worker and are dropped; a body
 * with a declared length keeps its Content-Length. An upstream fetch() body passes through untouched, so an
 * encoded (Content-Encoding) body reaches the client as the upstream sent it.
 */
export function toResponse(res: HttpResponse, requestMethod: string): Response {
  const status = res.status >= 200 && res.status <= 599 ? res.status : 502;
  const headers = mapToHeaders(res.headers);
  const bodiless = isBodiless(requestMethod, status);
  if (bodiless && res.body instanceof ReadableStream) discardStream(res.body as ReadableStream<Uint8Array>);
  const body = bodiless ? null : toBodyInit(res.body, res.headers, true);
  return new Response(body, { status, headers });
}
