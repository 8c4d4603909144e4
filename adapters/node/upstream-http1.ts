// HTTP/1.1 upstream pool on undici's Pool (keep-alive, connect timeout) — not fetch(), not web streams.
import { Pool } from "undici";
import type { EventEmitter } from "node:events";
import { UndiciCancelSignal } from "./undici-signal.ts";
import { Duplex, PassThrough, Readable } from "node:stream";
import type {
  UpstreamPool,
  UpstreamPoolOptions,
  UpstreamRequest,
  UpstreamResponse,
} from "../../proxy/http/types.ts";
import { toUpstreamError } from "./upstream-errors.ts";
import { upgradeUpstream } from "./upstream-upgrade.ts";
import { tlsConnectOptions } from "./tls-options.ts";

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
    async request(req: UpstreamRequest): Promise<UpstreamResponse> {
      let body: UpstreamRequest["body"] | Readable = req.body;
      if (body !== null && !(body instanceof Uint8Array) && !(body instanceof Readable)) {
        body = Readable.from(body);
      } else if (body instanceof Duplex) {
        body = detachable(body);
      }
      try {
        const res = await pool.request({
          method: req.method as "GET",
          path: req.path,
          headers: req.headers as Record<string, string | string[]>,
          body: body as Readable | Uint8Array | null,
          signal: req.cancel ? new UndiciCancelSignal(req.cancel) as unknown as EventEmitter : undefined,
        });
        const trailers = res.trailers;
        return {
          status: res.statusCode,
          headers: res.headers,
          body: req.method === "HEAD" || res.statusCode === 204 || res.statusCode === 304
            ? drain(res.body)
            : res.body,
          trailers: () => (Object.keys(trailers).length ? trailers : undefined),
        };
      } catch (err) {
        if (req.cancel?.reason) throw req.cancel.reason;
        throw toUpstreamError(err, target);
      }
    },
    upgrade: (req) => upgradeUpstream(options, req),
    close: () => pool.close(),
  };
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

function drain(body: Readable): null {
  body.resume();
  return null;
}
