// One web Request through the core: 501 for WebSocket, header limits, stream idle timeout, Request ⇄ core shapes.
import type {
  DownstreamRequest,
  HttpHandler,
  HttpListenOptions,
  HttpResponse,
} from "../../proxy/http/types.ts";
import type { Clock, TlsInfo } from "../../proxy/runtime/types.ts";
import { type HeaderMeasure, toBodyInit, toHeaderMap, toHeaders } from "./headers.ts";
import { headerLimitReply } from "./hcm-limits.ts";
import { createStreamIdleSweeper, type StreamIdleWatch } from "./stream-idle.ts";

/** Response headers Deno.serve sets itself from the body it is given. */
const SKIP = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

/** Who is on the other end of a request's connection (the real client, also behind the mTLS splice). */
export interface Peer {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly tls?: TlsInfo;
}

/** What Deno.serve (directly, or behind the mTLS listener) calls for each request. */
export type WebHandler = (request: Request, peer: Peer) => Promise<Response>;

export function createWebHandler(
  handler: HttpHandler,
  options: HttpListenOptions,
  clock: Clock,
): WebHandler {
  const scheme = options.tls ? "https" : "http";
  const limits = options.serve;
  const idleMs = limits.streamIdleTimeoutMs;
  const startIdle = idleMs > 0 ? createStreamIdleSweeper(clock, idleMs) : undefined;
  return async (request, peer) => {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return textResponse(
        501,
        "WebSocket upgrade is not supported on the deno runtime (see docs/runtimes.md)\n",
      );
    }
    const url = new URL(request.url);
    const path = url.pathname + url.search;
    const measure: HeaderMeasure = { count: 0, bytes: 0 };
    const headers = toHeaderMap(request.headers, measure);
    const tooBig = headerLimitReply(measure, request.method, path, limits);
    if (tooBig) {
      request.body?.cancel().catch(() => {});
      return tooBig;
    }
    const authority = request.headers.get("host") ?? url.host;
    headers["host"] ??= authority;
    const req: DownstreamRequest = {
      method: request.method,
      scheme,
      authority,
      path,
      headers,
      // Deno.serve does not say which HTTP version the request used.
      protocol: "HTTP/1.1",
      body: request.body,
      trailers: () => undefined,
      signal: request.signal,
      ...peer,
    };
    if (!startIdle) return toWebResponse(await handler(req), request.method);

    const idle = startIdle();
    const handled = Promise.resolve(handler(withIdle(req, request, idle)));
    return await new Promise<Response>((resolve, reject) => {
      let settled = false;
      const off = idle.onIdle(() => {
        settled = true;
        handled.then((res) => cancel(res.body), () => {});
        // Envoy: a stream idle before the response starts is answered 408; later it is reset.
        resolve(textResponse(408, "stream timeout\n", true));
      });
      handled.then((res) => {
        if (settled) return cancel(res.body);
        settled = true;
        off();
        resolve(toWebResponse(res, request.method, idle));
      }, (err) => {
        if (settled) return;
        settled = true;
        off();
        idle.stop();
        reject(err);
      });
    });
  };
}

/** The request as the core sees it under the timeout: its body is activity, a timeout resets it. */
function withIdle(req: DownstreamRequest, request: Request, idle: StreamIdleWatch): DownstreamRequest {
  let signal: AbortSignal | undefined;
  return {
    ...req,
    body: req.body && idle.watch(req.body),
    get signal() {
      if (!signal) {
        const timedOut = new AbortController();
        idle.onIdle((err) => timedOut.abort(err));
        signal = AbortSignal.any([request.signal, timedOut.signal]);
      }
      return signal;
    },
    onClose(fn) {
      if (request.signal.aborted || idle.fired) {
        fn();
        return () => {};
      }
      let called = false;
      const once = () => {
        if (!called) (called = true, fn());
      };
      request.signal.addEventListener("abort", once, { once: true });
      const off = idle.onIdle(once);
      return () => {
        request.signal.removeEventListener("abort", once);
        off();
      };
    },
  };
}

function toWebResponse(res: HttpResponse, method: string, idle?: StreamIdleWatch): Response {
  let headers: Headers;
  try {
    headers = toHeaders(res.headers, SKIP);
  } catch (err) {
    cancel(res.body);
    idle?.stop();
    return textResponse(502, `invalid upstream response header: ${(err as Error).message}\n`);
  }
  const nullBody = method === "HEAD" || res.status === 204 || res.status === 304 || res.status < 200;
  if (nullBody) cancel(res.body);
  const streamed = !nullBody && res.body !== null && typeof res.body !== "string" &&
    !(res.body instanceof Uint8Array);
  if (!streamed) idle?.stop();
  const body = nullBody
    ? null
    : idle && streamed
    ? idle.watch(res.body as AsyncIterable<Uint8Array>, true)
    : toBodyInit(res.body);
  return new Response(body, { status: res.status, headers });
}

function textResponse(status: number, body: string, close = false): Response {
  const headers: Record<string, string> = { "content-type": "text/plain" };
  if (close) headers.connection = "close";
  return new Response(body, { status, headers });
}

function cancel(body: HttpResponse["body"]) {
  if (body instanceof ReadableStream) body.cancel().catch(() => {});
}
