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
import type { HttpConnection, HttpHandler, HttpResponse, HttpServeOptions } from "../../proxy/http/types.ts";
import type { Connection } from "../../proxy/runtime/types.ts";
import { socketOf } from "./connection.ts";
import { PushedBody } from "./upstream-body.ts";
import { toDownstreamRequest } from "./http2-request.ts";

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
    if (streamIdle) stream.setTimeout(streamIdle, closeIdleStream);
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
  stream.on("error", noop);
  const request = toDownstreamRequest(stream, headers, flags);
  let result;
  try {
    result = handler(request);
  } catch {
    return failStream(stream);
  }
  if (result instanceof Promise) {
    result.then((response) => respond(stream, response), () => failStream(stream));
  } else respond(stream, result);
}

/** A stream's "timeout" listener (shared: events call it with the stream as `this`). */
function closeIdleStream(this: ServerHttp2Stream) {
  this.close(constants.NGHTTP2_CANCEL);
}

function failStream(stream: ServerHttp2Stream) {
  if (!stream.headersSent && !stream.destroyed) stream.respond({ ":status": 500 }, { endStream: true });
  else stream.close(constants.NGHTTP2_INTERNAL_ERROR);
}

function noop() {}

function respond(stream: ServerHttp2Stream, response: HttpResponse) {
  if (stream.destroyed || stream.closed) {
    // An unread upstream body errors when destroyed (undici: RequestAbortedError); nobody listens any more.
    if (response.body instanceof Readable) response.body.on("error", () => {}).destroy();
    else if (response.body instanceof PushedBody) response.body.destroy();
    return;
  }
  const out: OutgoingHttpHeaders = { ":status": response.status };
  for (const name in response.headers) {
    if (!forbidden.has(name)) out[name] = response.headers[name];
  }
  const { body } = response;
  // An upstream body that is already complete goes out in one write; its trailers are known by then, so when
  // there are none the stream ends with the data rather than with an empty trailers frame.
  const whole = body instanceof PushedBody ? body.takeComplete() : undefined;
  const wantTrailers = response.trailers !== undefined &&
    (whole === undefined || response.trailers() !== undefined);
  try {
    stream.respond(out, { endStream: body === null && !wantTrailers, waitForTrailers: wantTrailers });
  } catch {
    stream.respond({ ":status": 502 }, { endStream: true });
    if (body instanceof PushedBody) body.destroy();
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
  } else if (whole !== undefined) {
    stream.end(whole);
  } else if (typeof body === "string" || body instanceof Uint8Array) {
    stream.end(body);
  } else if (body instanceof PushedBody) {
    pushTo(body, stream);
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

/** Streams a PushedBody into an HTTP/2 stream, pausing the upstream while the stream is flow-controlled. */
function pushTo(body: PushedBody, stream: ServerHttp2Stream) {
  const onDrain = () => body.resume();
  stream.once("close", () => !body.complete && body.destroy());
  body.attach({
    data(chunk) {
      if (stream.write(chunk)) return true;
      stream.once("drain", onDrain);
      return false;
    },
    end: () => stream.end(),
    error: () => stream.close(constants.NGHTTP2_INTERNAL_ERROR),
  });
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
