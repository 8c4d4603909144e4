// HTTP/1.1 upstream pool on Deno's fetch() with a per-endpoint Deno.HttpClient (keep-alive, TLS, client certs).
import type {
  UpstreamPool,
  UpstreamPoolOptions,
  UpstreamRequest,
  UpstreamResponse,
} from "../../proxy/http/types.ts";
import { WeftError } from "../../proxy/errors.ts";
import { toBodyInit, toHeaderMap, toHeaders } from "./headers.ts";
import { toUpstreamError } from "./upstream-errors.ts";
import { type ConnectTunnel, startConnectTunnel } from "./connect-tunnel.ts";

/** Headers fetch computes itself (or refuses) on the wire. */
const SKIP = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

/**
 * What fetch cannot do, and so this pool does not: HTTP/2 upstreams (an `http2` pool is rejected — fetch
 * exposes no response trailers, so gRPC status would be lost), response trailers, bodies on GET/HEAD
 * (dropped), a request `content-length` on a streamed body (sent chunked), Upgrade/WebSocket, and a
 * separate connect timeout for plaintext endpoints (the route / per-try timeouts still bound the request).
 */
export function createFetchPool(options: UpstreamPoolOptions): UpstreamPool {
  const target = `${options.host}:${options.port}`;
  if (options.protocol === "http2") {
    throw new WeftError(
      "unsupported",
      `upstream ${target}: the deno runtime has no HTTP/2 upstream client (fetch() exposes no response ` +
        `trailers); remove http2_protocol_options / explicit_http_config.http2_protocol_options from the ` +
        `cluster. See docs/runtimes.md`,
    );
  }
  const tls = options.tls;
  let tunnel: ConnectTunnel | undefined;
  let origin: string;
  if (tls) {
    if (tls.certPem && !tls.keyPem) {
      throw new WeftError("config", `upstream ${target}: a client certificate needs its key`);
    }
    const serverName = tls.serverName ?? options.host;
    // The endpoint is an address; fetch takes the TLS name from the URL, so dial through a CONNECT shim.
    if (serverName !== options.host) {
      tunnel = startConnectTunnel({
        host: options.host,
        port: options.port,
        connectTimeoutMs: options.connectTimeoutMs,
      });
    }
    origin = `https://${bracket(serverName)}:${options.port}`;
  } else {
    origin = `http://${bracket(options.host)}:${options.port}`;
  }
  const client = Deno.createHttpClient({
    allowHost: true,
    http1: true,
    http2: false,
    poolMaxIdlePerHost: options.maxConnections,
    poolIdleTimeout: options.idleTimeoutMs > 0 ? options.idleTimeoutMs : false,
    ...(tls?.caPem ? { caCerts: [tls.caPem] } : {}),
    ...(tls?.certPem && tls.keyPem ? { cert: tls.certPem, key: tls.keyPem } : {}),
    ...(tunnel ? { proxy: { url: tunnel.url } } : {}),
  });

  return {
    async request(req: UpstreamRequest): Promise<UpstreamResponse> {
      const bodyless = req.method === "GET" || req.method === "HEAD";
      let headers: Headers;
      try {
        headers = toHeaders(req.headers, SKIP);
      } catch (err) {
        throw new WeftError("upstream_protocol", `request to ${target}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      try {
        const res = await fetch(
          origin + req.path,
          {
            client,
            method: req.method,
            headers,
            body: bodyless ? null : toBodyInit(req.body),
            redirect: "manual",
            signal: req.cancel?.toAbortSignal(),
            duplex: "half",
          } as RequestInit & { client: Deno.HttpClient; duplex: "half" },
        );
        const noBody = req.method === "HEAD" || res.status === 204 || res.status === 304;
        if (noBody) res.body?.cancel().catch(() => {});
        return { status: res.status, headers: toHeaderMap(res.headers), body: noBody ? null : res.body };
      } catch (err) {
        if (req.cancel?.reason) throw req.cancel.reason;
        // fetch only says "unsuccessful tunnel"; the shim knows why its dial failed (refused, timeout).
        const viaTunnel = /unsuccessful tunnel/.test(String((err as Error)?.cause ?? ""));
        throw (viaTunnel ? tunnel?.lastDialError() : undefined) ?? toUpstreamError(err, target);
      }
    },
    upgrade(): Promise<never> {
      return Promise.reject(
        new WeftError(
          "unsupported",
          `upstream ${target}: Upgrade/WebSocket is not supported on the deno runtime (fetch() cannot hand ` +
            `over the upgraded connection); see docs/runtimes.md`,
        ),
      );
    },
    async close() {
      client.close();
      tunnel?.close();
    },
  };
}

function bracket(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
