// HTTP/2 downstream codec (h2c prior knowledge and TLS+ALPN h2): node:http2 streams ↔ the core's handler.
import {
  constants,
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import type {
  DownstreamRequest,
  HeaderMap,
  HttpConnection,
  HttpHandler,
  HttpResponse,
  HttpServeOptions,
} from "../../proxy/http/types.ts";
import type { Connection } from "../../proxy/runtime/types.ts";
import { normalizeAddress, socketOf, tlsInfoOf } from "./connection.ts";

/** A connection manager's options never change, so its handler identifies its server. */
const servers = new WeakMap<HttpHandler, Http2Server>();

/** Connection-specific headers that HTTP/2 forbids (RFC 9113 §8.2.2). */
const forbidden = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
]);

function serverFor(options: HttpServeOptions, handler: HttpHandler): Http2Server {
  const h2 = options.http2;
  let server = servers.get(handler);
  if (server) return server;
  server = createServer({
    maxHeaderListPairs: options.maxHeadersCount + 4,
    settings: {
      maxHeaderListSize: options.maxRequestHeadersKb * 1024,
      enablePush: false,
      ...(h2?.maxConcurrentStreams ? { maxConcurrentStreams: h2.maxConcurrentStreams } : {}),
      ...(h2?.initialStreamWindowSize ? { initialWindowSize: h2.initialStreamWindowSize } : {}),
    },
    maxSessionMemory: 64,
  });
  const streamIdle = options.streamIdleTimeoutMs;
  server.on("stream", (stream, headers, flags) => {
    if (streamIdle) stream.setTimeout(streamIdle, () => stream.close(constants.NGHTTP2_CANCEL));
    onStream(stream, headers, flags, handler);
  });
  server.on("sessionError", () => {});
  const connectionWindow = h2?.initialConnectionWindowSize;
  if (connectionWindow) server.on("session", (session) => session.setLocalWindowSize(connectionWindow));
  if (options.idleTimeoutMs) server.setTimeout(options.idleTimeoutMs, () => {});
  servers.set(handler, server);
  return server;
}

function onStream(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  flags: number,
  handler: HttpHandler,
) {
  stream.on("error", () => {});
  const request = toDownstreamRequest(stream, headers, flags);
  Promise.resolve().then(() => handler(request)).then(
    (response) => respond(stream, response),
    () => {
      if (!stream.headersSent && !stream.destroyed) stream.respond({ ":status": 500 }, { endStream: true });
      else stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    },
  );
}

function toDownstreamRequest(
  stream: ServerHttp2Stream,
  h: IncomingHttpHeaders,
  flags: number,
): DownstreamRequest {
  return new H2DownstreamRequest(stream, h, (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0);
}

/** One HTTP/2 request as the core sees it: a class (not closures) so each stream allocates little. */
class H2DownstreamRequest implements DownstreamRequest {
  method: string;
  scheme: "http" | "https";
  authority: string;
  path: string;
  headers: HeaderMap;
  readonly protocol = "HTTP/2" as const;
  readonly body: ServerHttp2Stream | null;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  #stream: ServerHttp2Stream;
  #trailers: HeaderMap | undefined;
  #controller: AbortController | undefined;

  constructor(stream: ServerHttp2Stream, h: IncomingHttpHeaders, endStream: boolean) {
    const headers: HeaderMap = {};
    for (const name in h) if (name.charCodeAt(0) !== 58 /* : */) headers[name] = h[name];
    const socket = stream.session?.socket;
    this.#stream = stream;
    this.method = h[":method"] ?? "GET";
    this.scheme = h[":scheme"] === "https" ? "https" : "http";
    this.authority = h[":authority"] ?? (h.host as string | undefined) ?? "";
    this.path = h[":path"] ?? "/";
    this.headers = headers;
    this.body = endStream ? null : stream;
    if (!endStream) stream.once("trailers", (t: IncomingHttpHeaders) => this.#trailers = t as HeaderMap);
    this.remoteAddress = normalizeAddress(socket?.remoteAddress);
    this.remotePort = socket?.remotePort ?? 0;
    this.localAddress = normalizeAddress(socket?.localAddress);
    this.localPort = socket?.localPort ?? 0;
  }

  trailers(): HeaderMap | undefined {
    return this.#trailers;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      const c = this.#controller = new AbortController();
      this.onClose(() => c.abort(new Error("downstream reset")));
    }
    return this.#controller.signal;
  }

  /** A reset stream (not one that finished) means the client went away. */
  onClose(fn: () => void): () => void {
    const stream = this.#stream;
    if (stream.destroyed) {
      fn();
      return noop;
    }
    const listener = () => stream.rstCode !== constants.NGHTTP2_NO_ERROR && fn();
    stream.once("close", listener);
    return () => stream.off("close", listener);
  }

  get tls() {
    const socket = this.#stream.session?.socket as TLSSocket | undefined;
    return socket?.encrypted ? tlsInfoOf(socket) : undefined;
  }
}

function noop() {}

function respond(stream: ServerHttp2Stream, response: HttpResponse) {
  if (stream.destroyed || stream.closed) {
    // An unread upstream body errors when destroyed (undici: RequestAbortedError); nobody listens any more.
    if (response.body instanceof Readable) response.body.on("error", () => {}).destroy();
    return;
  }
  const out: OutgoingHttpHeaders = { ":status": response.status };
  for (const name in response.headers) {
    if (!forbidden.has(name)) out[name] = response.headers[name];
  }
  const { body } = response;
  const wantTrailers = response.trailers !== undefined;
  try {
    stream.respond(out, { endStream: body === null && !wantTrailers, waitForTrailers: wantTrailers });
  } catch {
    stream.respond({ ":status": 502 }, { endStream: true });
    return;
  }
  if (wantTrailers) {
    stream.once("wantTrailers", () => {
      const t = response.trailers?.();
      const filtered: OutgoingHttpHeaders = {};
      if (t) { for (const name in t) if (!forbidden.has(name)) filtered[name] = t[name]; }
      stream.sendTrailers(filtered);
    });
  }
  if (body === null) {
    if (wantTrailers) stream.end();
  } else if (typeof body === "string" || body instanceof Uint8Array) {
    stream.end(body);
  } else if (body instanceof Readable) {
    body.on("error", () => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
    stream.once("close", () => !body.readableEnded && body.destroy());
    body.pipe(stream);
  } else {
    (async () => {
      for await (const chunk of body) {
        if (!stream.write(chunk)) await new Promise((resolve) => stream.once("drain", resolve));
      }
      stream.end();
    })().catch(() => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
  }
}

export function serveHttp2(
  conn: Connection,
  options: HttpServeOptions,
  handler: HttpHandler,
): HttpConnection {
  const socket = socketOf(conn);
  // Listener sockets allow half-open (tcp_proxy needs it); HTTP/2 has no half-closed connection, and
  // node:http2 never ends a socket whose peer sent FIN — without this the connection would leak.
  socket.allowHalfOpen = false;
  // The peer sent FIN before the codec took over (e.g. right after a TLS handshake): no request can
  // follow, and a codec attached now would never see the end — close instead of leaking the socket.
  if (socket.readableEnded) {
    socket.destroy();
    return { drain() {}, closed: conn.closed };
  }
  const server = serverFor(options, handler);
  let session: Http2Session | undefined;
  const onSession = (s: Http2Session) => {
    if (s.socket === socket || (s.socket as unknown as { _parent?: unknown })?._parent === socket) {
      session = s;
    }
  };
  server.on("session", onSession);
  server.emit("connection", socket);
  server.off("session", onSession);
  return {
    drain() {
      session?.goaway(constants.NGHTTP2_NO_ERROR);
      session?.close();
    },
    closed: conn.closed,
  };
}
