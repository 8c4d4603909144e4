// The Deno runtime's own HTTP listener: Deno.serve (HTTP/1.1, and HTTP/2 over TLS via ALPN) feeding the core.
import type { HttpHandler, HttpListenOptions } from "../../proxy/http/types.ts";
import type { Clock, ListenHandle } from "../../proxy/runtime/types.ts";
import { WeftError } from "../../proxy/errors.ts";
import { createWebHandler } from "./request-handler.ts";
import { limitWarnings } from "./hcm-limits.ts";
import { listenMtls } from "./mtls-listen.ts";

export interface ListenDeps {
  readonly log: (line: string) => void;
  readonly clock: Clock;
}

/**
 * Starts Deno.serve for one HTTP listener. What Deno.serve does not expose, this listener cannot do:
 * request/response trailers, the raw request target (paths arrive normalized by URL parsing), the HTTP
 * version, connection idle and request-headers timeouts (a warning is logged when they are set), and
 * Upgrade (WebSocket requests are answered 501). A listener that verifies client certificates terminates
 * TLS with node:tls in front of a loopback Deno.serve (mtls-listen.ts).
 */
export async function listenHttp(
  options: HttpListenOptions,
  handler: HttpHandler,
  deps: ListenDeps,
): Promise<ListenHandle> {
  const { host, port, tls } = options;
  const mtls = Boolean(tls?.requireClientCert || tls?.caPem);
  for (const line of limitWarnings(options, mtls)) deps.log(line);
  const web = createWebHandler(handler, options, deps.clock);
  const onError = (err: unknown) => {
    deps.log(`deno listener ${host}:${port}: ${(err as Error)?.message ?? err}`);
    return new Response("internal error\n", { status: 500 });
  };
  if (mtls) return await listenMtls(options, web, { ...deps, onError });
  const scheme = tls ? "https" : "http";
  let listening!: Deno.NetAddr;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: host,
      port,
      ...(tls ? { cert: tls.certPem, key: tls.keyPem } : {}),
      onListen: (addr) => (listening = addr),
      onError,
    }, (request, info) =>
      web(request, {
        remoteAddress: info.remoteAddr.hostname,
        remotePort: info.remoteAddr.port,
        localAddress: listening.hostname,
        localPort: listening.port,
        tls: scheme === "https" ? {} : undefined,
      }));
  } catch (err) {
    throw new WeftError("config", `cannot listen on ${host}:${port}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  listening ??= server.addr;
  return {
    host: listening.hostname,
    port: listening.port,
    close: () => server.shutdown(),
  };
}
