// One HTTP/2 stream as the core's DownstreamRequest: headers without pseudo-headers, trailers, reset watching.
import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { DownstreamRequest, HeaderMap } from "../../proxy/http/types.ts";
import { normalizeAddress } from "../../proxy/runtime/bytes.ts";
import { tlsInfoOf } from "./connection.ts";

export function toDownstreamRequest(
  stream: ServerHttp2Stream,
  h: IncomingHttpHeaders,
  flags: number,
): DownstreamRequest {
  return new H2DownstreamRequest(stream, h, (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0);
}

/** The request of a stream that watches for a reset (see `onClose`). */
const watcher = Symbol("weft.streamWatcher");
type WatchedStream = ServerHttp2Stream & { [watcher]?: H2DownstreamRequest };

function onWatchedStreamClose(this: WatchedStream) {
  this[watcher]?.gone();
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
  #stream: ServerHttp2Stream;
  #socket: Socket | undefined;
  #trailers: HeaderMap | undefined;
  #controller: AbortController | undefined;
  #onGone: (() => void) | undefined;
  #unwatch: (() => void) | undefined;

  constructor(stream: ServerHttp2Stream, h: IncomingHttpHeaders, endStream: boolean) {
    const headers: HeaderMap = {};
    for (const name in h) if (name.charCodeAt(0) !== 58 /* : */) headers[name] = h[name];
    this.#stream = stream;
    this.#socket = stream.session?.socket as Socket | undefined;
    this.method = h[":method"] ?? "GET";
    this.scheme = h[":scheme"] === "https" ? "https" : "http";
    this.authority = h[":authority"] ?? (h.host as string | undefined) ?? "";
    this.path = h[":path"] ?? "/";
    this.headers = headers;
    this.body = endStream ? null : stream;
    if (!endStream) stream.once("trailers", (t: IncomingHttpHeaders) => this.#trailers = t as HeaderMap);
  }

  // Read on demand: most requests never need them.
  get remoteAddress(): string {
    return normalizeAddress(this.#socket?.remoteAddress);
  }
  get remotePort(): number {
    return this.#socket?.remotePort ?? 0;
  }
  get localAddress(): string {
    return normalizeAddress(this.#socket?.localAddress);
  }
  get localPort(): number {
    return this.#socket?.localPort ?? 0;
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

  /**
   * A reset stream (not one that finished) means the client went away. One shared "close" listener per stream
   * (added on the first call) and the watcher in a field: no closures or once-wrappers per request.
   */
  onClose(fn: () => void): () => void {
    const stream = this.#stream as WatchedStream;
    if (stream.destroyed) {
      fn();
      return noop;
    }
    if (this.#onGone) {
      // A second watcher at the same time (not the router's pattern): its own listener.
      const listener = () => stream.rstCode !== constants.NGHTTP2_NO_ERROR && fn();
      stream.once("close", listener);
      return () => stream.off("close", listener);
    }
    this.#onGone = fn;
    if (stream[watcher] === undefined) {
      stream[watcher] = this;
      stream.on("close", onWatchedStreamClose);
    }
    return this.#unwatch ??= () => {
      this.#onGone = undefined;
    };
  }

  /** The stream closed (see `onClose`). */
  gone() {
    const fn = this.#onGone;
    this.#onGone = undefined;
    if (fn && this.#stream.rstCode !== constants.NGHTTP2_NO_ERROR) fn();
  }

  get tls() {
    const socket = this.#socket as TLSSocket | undefined;
    return socket?.encrypted ? tlsInfoOf(socket) : undefined;
  }
}

function noop() {}
