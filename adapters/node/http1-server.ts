// HTTP/1.1 downstream codec: node:http parses, the core's handler answers (keep-alive, chunked, Upgrade, 100-continue).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Connection } from "../../proxy/runtime/types.ts";
import type { HttpConnection, HttpHandler, HttpServeOptions } from "../../proxy/http/types.ts";
import { socketOf, wrapSocket } from "./connection.ts";
import { createDownstreamRequest, writeResponse } from "./http1-exchange.ts";
import { createIdleSweeper, type IdleSweeper } from "./http1-idle.ts";

/** node:http's server for a connection manager, and the idle timeouts of its connections. */
interface Http1Codec {
  readonly server: Server;
  readonly idle: IdleSweeper | undefined;
}

/** A connection manager's options never change, so its handler identifies its server. */
const codecs = new WeakMap<HttpHandler, Http1Codec>();

/** One node:http server per connection manager; connections are handed to it one by one. */
function codecFor(options: HttpServeOptions, handler: HttpHandler): Http1Codec {
  let codec = codecs.get(handler);
  if (codec) return codec;
  const server = createServer({
    maxHeaderSize: options.maxRequestHeadersKb * 1024,
    requestTimeout: 0,
    headersTimeout: options.requestHeadersTimeoutMs || 0,
    // idle_timeout (between requests) and stream_idle_timeout (while one is in flight) are swept (see
    // http1-idle.ts) rather than node's socket timers, which it re-arms twice per request.
    keepAliveTimeout: 0,
    connectionsCheckingInterval: 1000,
    insecureHTTPParser: false,
    joinDuplicateHeaders: false,
  });
  server.timeout = 0;
  // One more than the limit so that exceeding it is detectable (node silently drops extras).
  server.maxHeadersCount = options.maxHeadersCount + 1;
  codec = { server, idle: createIdleSweeper(options.idleTimeoutMs, options.streamIdleTimeoutMs) };
  const idle = codec.idle;
  server.on("request", (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, options, handler));
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    idle?.untrack(socket);
    onUpgrade(req, socket, head, handler);
  });
  server.on("clientError", onClientError);
  codecs.set(handler, codec);
  return codec;
}

function onRequest(
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpServeOptions,
  handler: HttpHandler,
) {
  if (req.rawHeaders.length / 2 > options.maxHeadersCount) {
    res.shouldKeepAlive = false;
    res.writeHead(431, { "content-type": "text/plain", connection: "close" });
    res.end("too many request headers\n");
    return;
  }
  const request = createDownstreamRequest(req, res);
  let result;
  try {
    result = handler(request);
  } catch (err) {
    return failResponse(res, err);
  }
  if (result instanceof Promise) {
    result.then((response) => writeResponse(res, response), (err) => failResponse(res, err));
  } else {
    writeResponse(res, result);
  }
}

function onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, handler: HttpHandler) {
  if (head.length) socket.unshift(head);
  const request = createDownstreamRequest(req, undefined, socket);
  Promise.resolve().then(() => handler(request)).then(
    (response) => {
      if (socket.destroyed || (socket as Socket & { weftUpgraded?: boolean }).weftUpgraded) return;
      // The handler answered without upgrading: write a plain response and close.
      const body = typeof response.body === "string" || response.body instanceof Uint8Array
        ? response.body
        : "";
      const lines = [`HTTP/1.1 ${response.status} ${statusText(response.status)}`, "connection: close"];
      for (const [name, value] of Object.entries(response.headers)) {
        if (value === undefined || name === "connection" || name === "content-length") continue;
        for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
      }
      lines.push(`content-length: ${Buffer.byteLength(body)}`);
      socket.end(Buffer.concat([Buffer.from(lines.join("\r\n") + "\r\n\r\n"), Buffer.from(body)]));
    },
    () => socket.destroy(),
  );
}

function statusText(status: number): string {
  return ({
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    426: "Upgrade Required",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  } as Record<number, string>)[status] ?? "Unknown";
}

/** Malformed requests: a precise status, the connection closed, the proxy keeps serving. */
function onClientError(err: Error & { code?: string }, socket: Socket) {
  if (!socket.writable || socket.destroyed) return socket.destroy();
  const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
  const timeout = err.code === "ERR_HTTP_REQUEST_TIMEOUT";
  const status = tooLarge
    ? "431 Request Header Fields Too Large"
    : timeout
    ? "408 Request Timeout"
    : "400 Bad Request";
  const body = tooLarge
    ? "request headers too large\n"
    : timeout
    ? "request timeout\n"
    : `malformed request: ${err.code ?? "parse error"}\n`;
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function failResponse(res: ServerResponse, err: unknown) {
  if (res.headersSent) return res.destroy(err instanceof Error ? err : undefined);
  res.writeHead(500, { "content-type": "text/plain" });
  res.end("internal error\n");
}

export function serveHttp1(
  conn: Connection,
  options: HttpServeOptions,
  handler: HttpHandler,
): HttpConnection {
  const socket = socketOf(conn);
  // The peer sent FIN before the codec took over (e.g. right after a TLS handshake): no request can
  // follow, and a codec attached now would never see the end — close instead of leaking the socket.
  if (socket.readableEnded) {
    socket.destroy();
    return { drain() {}, closed: conn.closed };
  }
  const codec = codecFor(options, handler);
  codec.idle?.track(socket);
  codec.server.emit("connection", socket);
  return {
    drain() {
      // node closes an idle keep-alive socket once its in-flight response is done when we set this flag.
      (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.setHeader("connection", "close");
      if (!(socket as Socket & { _httpMessage?: ServerResponse })._httpMessage) socket.end();
    },
    closed: conn.closed,
  };
}

export { wrapSocket };
