// A compiled filter chain: optional TLS termination, then one terminal network filter (HCM or tcp_proxy).
import type { Connection, Runtime, ServerTlsOptions } from "../runtime/types.ts";
import type { HttpConnection, HttpHandler, HttpServeOptions } from "../http/types.ts";

/** The terminal network filter of a chain. */
export interface NetworkFilter {
  /** Takes over the connection; returns a drain handle when the filter can drain gracefully. */
  handle(conn: Connection): Promise<{ drain(): void } | undefined> | { drain(): void } | undefined;
  /** Set for the HTTP connection manager: runtimes that own their HTTP listeners (Deno's serve(), Workers) call it directly. */
  readonly http?: {
    readonly handler: HttpHandler;
    readonly serveOptions: Omit<HttpServeOptions, "protocol">;
  };
}

export interface NetworkChain {
  handle(conn: Connection): Promise<{ drain(): void } | undefined>;
  readonly filter: NetworkFilter;
  readonly tls: ServerTlsOptions | undefined;
}

export function createNetworkChain(
  runtime: Runtime,
  tls: ServerTlsOptions | undefined,
  filter: NetworkFilter,
): NetworkChain {
  return {
    filter,
    tls,
    async handle(conn) {
      const c = tls ? await runtime.net.startTls(conn, tls) : conn;
      return await filter.handle(c);
    },
  };
}

export type { HttpConnection };
