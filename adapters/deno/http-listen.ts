// The Deno runtime's own HTTP listener: Deno.serve (HTTP/1.1, and HTTP/2 over TLS via ALPN) feeding the core.
import type {
  DownstreamRequest,
  HeaderMap,
  HttpHandler,
  HttpListenOptions,
  HttpResponse,
} from "../../proxy/http/types.ts";
import type { ListenHandle } from "../../proxy/runtime/types.ts";
import { WeftError } from "../../proxy/errors.ts";
import { toBodyInit, toHeaderMap, toHeaders } from "./headers.ts";

/** Response headers Deno.serve sets itself from the body it is given. */
const SKIP = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

/**
 * Starts Deno.serve for one HTTP listener. What Deno.serve does not expose, this listener cannot do:
 * client-certificate verification (mTLS is rejected here), request/response trailers, the raw request
 * target (paths arrive normalized by URL parsing), the HTTP version, per-listener header limits and
 * idle timeouts, and Upgrade (WebSocket requests are answered 501).
 */
export async function listenHttp(
  options: HttpListenOptions,
  handler: HttpHandler,
  log: (line: string) => void,
): Promise<ListenHandle> {
  const { host, port, tls } = options;
  if (tls?.requireClientCert || tls?.caPem) {
    throw new WeftError(
      "unsupported",
      `listener ${host}:${port}: the deno runtime cannot verify client certificates (Deno.serve has no ` +
        `mTLS); remove require_client_certificate / validation_context from the listener's ` +
        `DownstreamTlsContext or run this listener on Node. See docs/runtimes.md`,
    );
  }
  const scheme = tls ? "https" : "http";
  let listening!: Deno.NetAddr;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: host,
      port,
      ...(tls ? { cert: tls.certPem, key: tls.keyPem } : {}),
      onListen: (addr) => (listening = addr),
      onError: (err) => {
        log(`deno listener ${host}:${port}: ${(err as Error)?.message ?? err}`);
        return new Response("internal error\n", { status: 500 });
      },
    }, async (request, info) => {
      if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
        return new Response(
          "WebSocket upgrade is not supported on the deno runtime (see docs/runtimes.md)\n",
          {
            status: 501,
            headers: { "content-type": "text/plain" },
          },
        );
      }
      const req = toDownstreamRequest(request, info, listening, scheme);
      return toWebResponse(await handler(req), request.method);
    });
  } catch (err) {
    throw new WeftError("config", `cannot listen on ${host}:${port}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  listening ??= server.addr;
  return {
    host: listening.hostname,
    port: listening.port,
    close: () => server.shutdown(),
  };
}

function toDownstreamRequest(
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  local: Deno.NetAddr,
  scheme: "http" | "https",
): DownstreamRequest {
  const url = new URL(request.url);
  const headers: HeaderMap = toHeaderMap(request.headers);
  const authority = request.headers.get("host") ?? url.host;
  headers["host"] ??= authority;
  return {
    method: request.method,
    scheme,
    authority,
    path: url.pathname + url.search,
    headers,
    // Deno.serve does not say which HTTP version the request used.
    protocol: "HTTP/1.1",
    body: request.body,
    trailers: () => undefined,
    signal: request.signal,
    remoteAddress: info.remoteAddr.hostname,
    remotePort: info.remoteAddr.port,
    localAddress: local.hostname,
    localPort: local.port,
    tls: scheme === "https" ? {} : undefined,
  };
}

function toWebResponse(res: HttpResponse, method: string): Response {
  let headers: Headers;
  try {
    headers = toHeaders(res.headers, SKIP);
  } catch (err) {
    cancel(res.body);
    return new Response(`invalid upstream response header: ${(err as Error).message}\n`, {
      status: 502,
      headers: { "content-type": "text/plain" },
    });
  }
  const nullBody = method === "HEAD" || res.status === 204 || res.status === 304 || res.status < 200;
  if (nullBody) cancel(res.body);
  return new Response(nullBody ? null : toBodyInit(res.body), { status: res.status, headers });
}

function cancel(body: HttpResponse["body"]) {
  if (body instanceof ReadableStream) body.cancel().catch(() => {});
}
