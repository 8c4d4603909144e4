// HTTP/1.1 upstream pool on undici's Pool (keep-alive, connect timeout) through its dispatch API — no fetch(), no streams.
import { createRequire } from "node:module";
import { IncomingMessage } from "node:http";
import { Duplex, PassThrough, Readable } from "node:stream";
import type {
  HeaderMap,
  UpstreamPool,
  UpstreamPoolOptions,
  UpstreamRequest,
  UpstreamResponse,
} from "../../proxy/http/types.ts";
import type { WeftError } from "../../proxy/errors.ts";
import type { AttemptCancel } from "../../proxy/http/attempt-cancel.ts";
import { toUpstreamError } from "./upstream-errors.ts";
import { upgradeUpstream } from "./upstream-upgrade.ts";
import { tlsConnectOptions } from "./tls-options.ts";
import { PushedBody } from "./upstream-body.ts";

const require = createRequire(import.meta.url);
const Pool = require("undici/lib/dispatcher/pool.js") as typeof import("undici").Pool;
const undiciUtil = require("undici/lib/core/util.js") as typeof import("undici").util;

export function createHttp1Pool(options: UpstreamPoolOptions): UpstreamPool {
  const scheme = options.tls ? "https" : "http";
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const origin = `${scheme}://${host}:${options.port}`;
  const pool = new Pool(origin, {
    connections: options.maxConnections,
    pipelining: 1,
    keepAliveTimeout: options.idleTimeoutMs,
    keepAliveMaxTimeout: Math.max(options.idleTimeoutMs, 60_000),
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: options.connectTimeoutMs, ...(options.tls ? tlsConnectOptions(options.tls) : {}) },
    strictContentLength: true,
  });
  const target = `${options.host}:${options.port}`;

  return {
    request(req: UpstreamRequest): Promise<UpstreamResponse> {
      let body: UpstreamRequest["body"] | Readable = req.body;
      if (body !== null && !(body instanceof Uint8Array) && !(body instanceof Readable)) {
        body = Readable.from(body);
      } else if (body instanceof Duplex) {
        body = detachable(body);
      }
      // Cancelled before it was sent (the downstream is already gone): nothing to send.
      if (req.cancel?.reason) return Promise.reject(req.cancel.reason);
      return new Promise((resolve, reject) => {
        const exchange = new Exchange(req, body, target, resolve, reject);
        pool.dispatch({
          method: req.method as "GET",
          path: req.path,
          headers: req.headers as Record<string, string | string[]>,
          body: body as Readable | Uint8Array | null,
        }, exchange);
      });
    },
    upgrade: (req) => upgradeUpstream(options, req),
    close: () => pool.close(),
  };
}

/**
 * One request/response exchange as undici's dispatch handler: resolves with the response head as soon as it
 * arrives and pushes the body into a PushedBody (no BodyReadable, no per-request AsyncResource). It is also
 * the UpstreamResponse it resolves with, so that a response costs no further objects.
 */
class Exchange implements UpstreamResponse {
  status = 0;
  headers: HeaderMap = NO_HEADERS;
  body: PushedBody | null = null;
  #req: UpstreamRequest;
  #requestBody: unknown;
  #target: string;
  #resolve: ((res: UpstreamResponse) => void) | undefined;
  #reject: (err: unknown) => void;
  #abort: ((err?: Error) => void) | undefined;
  #cancel: AttemptCancel | undefined;
  #cancelled: WeftError | undefined;
  #trailers: HeaderMap | undefined;

  constructor(
    req: UpstreamRequest,
    requestBody: unknown,
    target: string,
    resolve: (res: UpstreamResponse) => void,
    reject: (err: unknown) => void,
  ) {
    this.#req = req;
    this.#requestBody = requestBody;
    this.#target = target;
    this.#resolve = resolve;
    this.#reject = reject;
    const cancel = this.#cancel = req.cancel;
    cancel?.on(this.#onCancel);
  }

  /**
   * Timeout or downstream reset before the response head: fail now, and reset the exchange if it is on a
   * socket (one still waiting for a connection is reset as soon as it gets one).
   */
  #onCancel = (reason: WeftError) => {
    this.#cancel = undefined;
    if (!this.#resolve) return;
    this.#cancelled = reason;
    this.#settleError(reason);
    this.#abort?.(reason);
  };

  #unwatch() {
    this.#cancel?.off(this.#onCancel);
    this.#cancel = undefined;
  }

  #settleError(err: unknown) {
    this.#resolve = undefined;
    this.#unwatch();
    this.#reject(err);
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.#cancelled) return abort(this.#cancelled);
    this.#abort = abort;
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (status < 200) return true;
    const resolve = this.#resolve;
    if (!resolve) return true;
    this.#resolve = undefined;
    this.#unwatch();
    const method = this.#req.method;
    this.status = status;
    this.headers = undiciUtil.parseHeaders(rawHeaders) as HeaderMap;
    if (method !== "HEAD" && status !== 204 && status !== 304) {
      this.body = new PushedBody(resume, this.#abort ?? noop);
    }
    resolve(this);
    return true;
  }

  /** Trailers received after the body (chunked HTTP/1.1), once it has been read; callable unbound. */
  trailers = (): HeaderMap | undefined => this.#trailers;

  onData(chunk: Buffer): boolean {
    return this.body ? this.body.push(chunk) : true;
  }

  onComplete(rawTrailers: Buffer[] | string[] | null): void {
    if (rawTrailers && rawTrailers.length) {
      this.#trailers = undiciUtil.parseHeaders(rawTrailers) as HeaderMap;
    }
    this.body?.end();
  }

  onError(err: Error): void {
    const requestBody = this.#requestBody;
    this.#requestBody = undefined;
    if (requestBody instanceof Readable) destroyRequestBody(requestBody, err);
    if (this.#resolve) {
      this.#settleError(this.#cancelled ?? toUpstreamError(err, this.#target));
    } else {
      this.body?.fail(err);
    }
  }
}

/**
 * undici destroys a request body stream once it has sent it; destroying an HTTP/2 downstream stream
 * (a Duplex) would reset it before the response is written. Hand undici a PassThrough instead.
 */
function detachable(source: Duplex): Readable {
  const pass = new PassThrough();
  source.once("error", (err) => pass.destroy(err));
  source.once("close", () => {
    if (!source.readableEnded) pass.destroy(new Error("request body stream closed before its end"));
  });
  return source.pipe(pass);
}

/**
 * As undici's request API does on error: a failed exchange destroys its request body stream; a node:http
 * request is detached from its socket first so that the downstream connection survives to get the reply.
 */
function destroyRequestBody(body: Readable, err: Error) {
  if (body.destroyed) return;
  body.on("error", noop);
  if (Object.getPrototypeOf(body).constructor === IncomingMessage) {
    (body as unknown as { socket: unknown }).socket = null;
  }
  body.destroy(err);
}

function noop() {}

const NO_HEADERS: HeaderMap = {};
