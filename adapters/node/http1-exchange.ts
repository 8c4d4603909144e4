// Converts node:http's IncomingMessage/ServerResponse to the core's DownstreamRequest and writes HttpResponses back.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import type {
  DownstreamRequest,
  HeaderMap,
  HttpProtocol,
  HttpResponse,
  ResponseHead,
} from "../../proxy/http/types.ts";
import { normalizeAddress } from "../../proxy/runtime/bytes.ts";
import { tlsInfoOf, wrapSocket } from "./connection.ts";
import { type BodySink, PushedBody } from "./upstream-body.ts";

/** Sockets asked to drain: their next response carries `connection: close`. */
export const drainingSockets = new WeakSet<Socket>();

/** The request on a connection that watches for the client going away (see `onClose`); null = none now. */
const watcher = Symbol("weft.closeWatcher");
type WatchedSocket = Socket & { [watcher]?: NodeDownstreamRequest | null };

function onWatchedSocketClose(this: WatchedSocket) {
  const request = this[watcher];
  this[watcher] = null;
  request?.gone();
}

class NodeDownstreamRequest implements DownstreamRequest {
  method: string;
  scheme: "http" | "https";
  authority: string;
  path: string;
  headers: HeaderMap;
  readonly protocol: HttpProtocol;
  readonly body: IncomingMessage | null;
  readonly upgrade?: DownstreamRequest["upgrade"];
  #controller: AbortController | undefined;
  #req: IncomingMessage;
  /** Kept apart from `req.socket`, which undici clears when it destroys a request body it was sending. */
  #socket: Socket;
  #remoteAddress: string | undefined;
  #localAddress: string | undefined;
  #res: ServerResponse | undefined;
  #onGone: (() => void) | undefined;
  #unwatch: (() => void) | undefined;

  constructor(req: IncomingMessage, res?: ServerResponse, upgradeSocket?: Socket) {
    const socket = req.socket;
    this.#req = req;
    this.#socket = socket;
    this.#res = res;
    this.method = req.method ?? "GET";
    this.scheme = (socket as TLSSocket).encrypted ? "https" : "http";
    this.authority = req.headers.host ?? "";
    this.path = req.url ?? "/";
    this.headers = req.headers as HeaderMap;
    this.protocol = req.httpVersion === "1.0" ? "HTTP/1.0" : "HTTP/1.1";
    this.body = !upgradeSocket && hasBody(req) ? req : null;
    if (upgradeSocket) {
      this.upgrade = (head: ResponseHead) => {
        (upgradeSocket as Socket & { weftUpgraded?: boolean }).weftUpgraded = true;
        upgradeSocket.write(serializeHead(head));
        return wrapSocket(upgradeSocket);
      };
    }
  }

  // The addresses are read on demand: most requests never need them (XFF, hashing on the source IP do).
  get remoteAddress(): string {
    return this.#remoteAddress ??= normalizeAddress(this.#socket.remoteAddress);
  }
  get remotePort(): number {
    return this.#socket.remotePort ?? 0;
  }
  get localAddress(): string {
    return this.#localAddress ??= normalizeAddress(this.#socket.localAddress);
  }
  get localPort(): number {
    return this.#socket.localPort ?? 0;
  }

  get tls() {
    const socket = this.#socket as TLSSocket;
    return socket.encrypted ? tlsInfoOf(socket) : undefined;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      const controller = this.#controller = new AbortController();
      const socket = this.#socket;
      const res = this.#res;
      const abort = () => controller.abort(new Error("downstream disconnected"));
      if (socket.destroyed) abort();
      // Per response, not per keep-alive socket (a listener per request on the socket would pile up):
      // the response closing before it finished means the client went away.
      else if (res) res.once("close", () => !res.writableFinished && abort());
      else socket.once("close", abort);
    }
    return this.#controller.signal;
  }

  /**
   * Native fast path for the router: the connection closing before the response finished means the client went
   * away. Watched through one "close" listener per keep-alive connection rather than one per request: the
   * request in flight parks itself on its socket (a pipelined one behind it gets its own listener).
   */
  onClose(fn: () => void): () => void {
    const socket = this.#socket as WatchedSocket;
    if (socket.destroyed) {
      fn();
      return noop;
    }
    const current = socket[watcher];
    if (this.#onGone || (current && current !== this)) return this.#watchAgain(fn);
    this.#onGone = fn;
    if (current === undefined) socket.once("close", onWatchedSocketClose);
    socket[watcher] = this;
    return this.#unwatch ??= () => {
      this.#onGone = undefined;
      if (socket[watcher] === this) socket[watcher] = null;
    };
  }

  /** The socket closed (see `onClose`). */
  gone() {
    const fn = this.#onGone;
    this.#onGone = undefined;
    if (fn && !this.#res?.writableFinished) fn();
  }

  /** A second watcher on the same request (not the router's pattern): its own listener. */
  #watchAgain(fn: () => void): () => void {
    const res = this.#res;
    const emitter = res ?? this.#socket;
    const listener = () => (!res || !res.writableFinished) && fn();
    emitter.once("close", listener);
    return () => emitter.off("close", listener);
  }

  trailers(): HeaderMap | undefined {
    const t = this.#req.trailers;
    return t && Object.keys(t).length ? (t as HeaderMap) : undefined;
  }
}

function hasBody(req: IncomingMessage): boolean {
  const te = req.headers["transfer-encoding"];
  if (te !== undefined) return true;
  const cl = req.headers["content-length"];
  return cl !== undefined && cl !== "0";
}

export function createDownstreamRequest(req: IncomingMessage, res?: ServerResponse, upgradeSocket?: Socket) {
  return new NodeDownstreamRequest(req, res, upgradeSocket);
}

export function serializeHead(head: ResponseHead): string {
  let out = `HTTP/1.1 ${head.status} ${head.status === 101 ? "Switching Protocols" : "OK"}\r\n`;
  for (const name in head.headers) {
    const value = head.headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) { for (const v of value) out += `${name}: ${v}\r\n`; }
    else out += `${name}: ${value}\r\n`;
  }
  return out + "\r\n";
}

/** Writes a core response to node's ServerResponse, streaming bodies with back-pressure. */
export function writeResponse(res: ServerResponse, response: HttpResponse): void {
  if (drainingSockets.has(res.socket as Socket)) res.shouldKeepAlive = false;
  const { body } = response;
  const headers = response.headers;
  // A body known in full is sent with its length (as Envoy does for direct and local replies), not chunked.
  const fixed = typeof body === "string" || body instanceof Uint8Array;
  if (fixed && headers["content-length"] === undefined && headers["transfer-encoding"] === undefined) {
    res.setHeader("content-length", typeof body === "string" ? Buffer.byteLength(body) : body.byteLength);
  }
  try {
    res.writeHead(response.status, headers as Record<string, string | string[]>);
  } catch (err) {
    res.removeHeader("content-length");
    res.writeHead(502, { "content-type": "text/plain" });
    res.end(`invalid upstream response header: ${(err as Error).message}\n`);
    destroyBody(body);
    return;
  }
  if (body === null) {
    res.end();
  } else if (typeof body === "string" || body instanceof Uint8Array) {
    res.end(body);
  } else if (body instanceof PushedBody) {
    // Usually the upstream body is complete by now: head and body leave in one write.
    const whole = body.takeComplete();
    if (whole) res.end(whole);
    else body.attach(new ResponseSink(res, body));
  } else if (body instanceof Readable) {
    body.on("error", (err) => res.destroy(err));
    res.once("close", () => {
      if (!body.readableEnded) body.destroy();
    });
    body.pipe(res);
  } else {
    pumpIterable(body, res);
  }
}

async function pumpIterable(body: AsyncIterable<Uint8Array>, res: ServerResponse) {
  try {
    for await (const chunk of body) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
      if (res.destroyed) return;
    }
    res.end();
  } catch (err) {
    res.destroy(err as Error);
  }
}

/** Streams a PushedBody into a ServerResponse, pausing the upstream while the downstream is congested. */
class ResponseSink implements BodySink {
  #res: ServerResponse;
  #body: PushedBody;
  #onDrain = () => this.#body.resume();

  constructor(res: ServerResponse, body: PushedBody) {
    this.#res = res;
    this.#body = body;
    res.once("close", () => {
      if (!body.complete) body.destroy();
    });
  }
  data(chunk: Buffer): boolean {
    if (this.#res.write(chunk)) return true;
    this.#res.once("drain", this.#onDrain);
    return false;
  }
  end(): void {
    this.#res.end();
  }
  error(err: Error): void {
    this.#res.destroy(err);
  }
}

function destroyBody(body: HttpResponse["body"]) {
  if (body instanceof Readable) body.on("error", () => {}).destroy();
  else if (body instanceof PushedBody) body.destroy();
}

function noop() {}
