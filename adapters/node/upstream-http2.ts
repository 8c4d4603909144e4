// HTTP/2 upstream (h2c or TLS+ALPN): one multiplexed node:http2 session per endpoint, reconnected on GOAWAY/close.
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  type OutgoingHttpHeaders,
} from "node:http2";
import { Readable } from "node:stream";
import type {
  HeaderMap,
  UpstreamPool,
  UpstreamPoolOptions,
  UpstreamRequest,
  UpstreamResponse,
} from "../../proxy/http/types.ts";
import { WeftError } from "../../proxy/errors.ts";
import { toUpstreamError } from "./upstream-errors.ts";
import { tlsConnectOptions } from "./tls-options.ts";

const forbidden = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
  "te",
]);

export function createHttp2Pool(options: UpstreamPoolOptions): UpstreamPool {
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const authority = `${options.tls ? "https" : "http"}://${host}:${options.port}`;
  const target = `${options.host}:${options.port}`;
  let session: ClientHttp2Session | undefined;
  let ready: Promise<ClientHttp2Session> | undefined;

  function getSession(): Promise<ClientHttp2Session> {
    if (session && !session.closed && !session.destroyed) return Promise.resolve(session);
    if (ready) return ready;
    ready = new Promise<ClientHttp2Session>((resolve, reject) => {
      const s = connect(authority, {
        ...(options.tls ? tlsConnectOptions({ ...options.tls, alpn: ["h2"] }) : {}),
        settings: { enablePush: false },
      });
      const timer = setTimeout(() => {
        s.destroy();
        reject(
          new WeftError(
            "upstream_connect_timeout",
            `connect timeout to ${target} after ${options.connectTimeoutMs} ms`,
          ),
        );
      }, options.connectTimeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        session = s;
        ready = undefined;
        s.setTimeout(options.idleTimeoutMs, () => s.close());
        resolve(s);
      });
      s.once("error", (err) => {
        clearTimeout(timer);
        ready = undefined;
        reject(toUpstreamError(err, target));
      });
      s.once("close", () => {
        if (session === s) session = undefined;
      });
      s.once("goaway", () => {
        if (session === s) session = undefined;
      });
    });
    return ready;
  }

  return {
    async request(req: UpstreamRequest): Promise<UpstreamResponse> {
      const s = await getSession();
      const headers: OutgoingHttpHeaders = {
        ":method": req.method,
        ":path": req.path,
        ":authority": req.authority,
        ":scheme": options.tls ? "https" : "http",
      };
      for (const name in req.headers) {
        if (!forbidden.has(name)) headers[name] = req.headers[name];
      }
      if (req.headers.te === "trailers") headers.te = "trailers";
      const endStream = req.body === null;
      let stream: ClientHttp2Stream;
      try {
        stream = s.request(headers, { endStream });
      } catch (err) {
        throw toUpstreamError(err, target);
      }
      if (!endStream) pipeBody(req.body!, stream);
      const stopCancel = req.cancel?.onCancel(() => stream.close(constants.NGHTTP2_CANCEL));
      return await new Promise<UpstreamResponse>((resolve, reject) => {
        let trailers: HeaderMap | undefined;
        /** Response headers arrived: a later close is the stream's normal end, not a failure to report. */
        let answered = false;
        stream.once("trailers", (t) => trailers = stripPseudo(t));
        stream.once("response", (h, flags: number) => {
          answered = true;
          stopCancel?.();
          stream.off("error", onError);
          stream.on("error", () => {});
          const status = Number(h[":status"]);
          // A headers block that ends the stream (gRPC "trailers-only") must stay one block downstream.
          if (flags & constants.NGHTTP2_FLAG_END_STREAM) {
            stream.resume();
            resolve({ status, headers: stripPseudo(h), body: null });
            return;
          }
          resolve({ status, headers: stripPseudo(h), body: stream, trailers: () => trailers });
        });
        const onError = (err: Error) => reject(req.cancel?.reason ?? toUpstreamError(err, target));
        stream.once("error", onError);
        stream.once("close", () => {
          // (An error per answered stream, stack trace and all, was 5 % of an h2 upstream's CPU.)
          if (answered) return;
          if (req.cancel?.reason) return reject(req.cancel.reason);
          if (stream.rstCode && stream.rstCode !== constants.NGHTTP2_NO_ERROR) {
            const code = stream.rstCode === constants.NGHTTP2_REFUSED_STREAM
              ? "upstream_refused_stream"
              : "upstream_reset";
            reject(new WeftError(code, `stream reset by ${target} (code ${stream.rstCode})`));
          } else {
            reject(new WeftError("upstream_reset", `stream to ${target} closed before response headers`));
          }
        });
      });
    },
    upgrade: () =>
      Promise.reject(new WeftError("unsupported", "Upgrade over an HTTP/2 upstream is not supported")),
    close: async () => {
      session?.close();
    },
  };
}

function stripPseudo(h: Record<string, unknown>): HeaderMap {
  const out: HeaderMap = {};
  for (const name in h) if (name.charCodeAt(0) !== 58) out[name] = h[name] as string | string[];
  return out;
}

function pipeBody(body: NonNullable<UpstreamRequest["body"]>, stream: ClientHttp2Stream) {
  if (body instanceof Uint8Array) {
    stream.end(body);
  } else if (body instanceof Readable) {
    body.on("error", () => stream.close(constants.NGHTTP2_CANCEL));
    body.pipe(stream);
  } else {
    Readable.from(body).pipe(stream);
  }
}
