// Upstream HTTP/1.1 pools on the Workers runtime's fetch(): URL per endpoint, manual redirects, errors → codes.
import type {
  UpstreamPool,
  UpstreamPoolOptions,
  UpstreamRequest,
  UpstreamResponse,
} from "../../proxy/http/types.ts";
import { WeftError } from "../../proxy/errors.ts";
import { headersToMap, mapToHeaders } from "./request-conversion.ts";
import { discardStream, toBodyInit } from "./streams.ts";

export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/** Request headers fetch() owns: framing, and Host (the runtime sets it from the URL and ignores ours). */
const RUNTIME_OWNED = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "proxy-connection",
  "upgrade",
  "content-length",
  "host",
]);

/**
 * fetch() rejects with a bare Error ("Network connection lost.", "internal error; reference = …") that does
 * not tell a refused connection from one reset before the response headers, nor a DNS failure from a
 * malformed response; all of them are reported as a connect failure (503 UF), like Envoy's most common case.
 */
export function toFetchError(err: unknown, target: string): WeftError {
  if (err instanceof WeftError) return err;
  const message = (err as Error)?.message ?? String(err);
  return new WeftError("upstream_connect_failure", `connect failure to ${target}: ${message}`, {
    cause: err,
  });
}

/** What fetch() pools cannot do (the runtime's `upstream.refuse`, checked when a cluster is built). */
export function fetchPoolRefusal(options: Pick<UpstreamPoolOptions, "protocol" | "tls">): string | undefined {
  if (options.protocol === "http2") return "HTTP/2 to upstreams (fetch() speaks HTTP/1.1 to origins)";
  const tls = options.tls;
  if (tls?.caPem || tls?.certPem || tls?.keyPem) {
    return "upstream TLS with a custom CA or a client certificate (fetch() uses the runtime's trust store)";
  }
  // Without a validation context Envoy would not verify; fetch() always does (stricter, documented).
  return undefined;
}

/** An endpoint's origin URL; IPv6 literals are bracketed. */
function originOf(options: UpstreamPoolOptions): string {
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return `${options.tls ? "https" : "http"}://${host}:${options.port}`;
}

export function createFetchPool(options: UpstreamPoolOptions, fetchImpl: FetchFunction): UpstreamPool {
  const origin = originOf(options);
  const target = `${options.host}:${options.port}`;
  const refusal = fetchPoolRefusal(options);

  return {
    async request(req: UpstreamRequest): Promise<UpstreamResponse> {
      if (refusal) throw new WeftError("unsupported", `the workers runtime cannot do ${refusal}`);
      if (req.cancel?.reason) throw req.cancel.reason;
      const bodiless = req.method === "GET" || req.method === "HEAD";
      if (bodiless && req.body !== null && !(req.body instanceof Uint8Array)) discardBody(req.body);
      const body = bodiless ? null : toBodyInit(req.body, req.headers, false);
      let res: Response;
      try {
        res = await fetchImpl(origin + req.path, {
          method: req.method,
          headers: mapToHeaders(req.headers, RUNTIME_OWNED),
          body,
          redirect: "manual",
          ...(req.cancel ? { signal: req.cancel.toAbortSignal() } : {}),
        });
      } catch (err) {
        if (req.cancel?.reason) throw req.cancel.reason;
        throw toFetchError(err, target);
      }
      const noBody = req.method === "HEAD" || res.status === 204 || res.status === 304;
      if (noBody) discardStream(res.body);
      return {
        status: res.status,
        headers: headersToMap(res.headers),
        body: noBody ? null : res.body,
      };
    },
    upgrade() {
      return Promise.reject(
        new WeftError(
          "unsupported",
          "the workers runtime cannot proxy HTTP upgrades (WebSocket) to upstreams",
        ),
      );
    },
    close: () => Promise.resolve(),
  };
}

function discardBody(body: AsyncIterable<Uint8Array>): void {
  if (body instanceof ReadableStream) discardStream(body as ReadableStream<Uint8Array>);
}
