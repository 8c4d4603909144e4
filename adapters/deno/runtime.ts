// The Deno runtime adapter: Deno.serve listeners, Deno.listen/connect sockets, fetch() upstreams, timers, DNS.
import type {
  Clock,
  Connection,
  ConnectOptions,
  Runtime,
  RuntimeCapabilities,
} from "../../proxy/runtime/types.ts";
import { WeftError } from "../../proxy/errors.ts";
import { wrapDenoConn } from "./connection.ts";
import { listenHttp } from "./http-listen.ts";
import { startServerTls } from "./start-tls.ts";
import { createFetchPool } from "./upstream-fetch.ts";

export interface DenoRuntimeOptions {
  /** Where access-log and diagnostic lines go (default: console.log). */
  readonly log?: (line: string) => void;
}

/**
 * What the Deno adapter can do; docs/runtimes.md has the whole table. Client certificates and TLS on
 * accepted (tcp_proxy) connections go through node:tls, since Deno's own TLS server APIs cannot do either.
 */
export const DENO_CAPABILITIES: RuntimeCapabilities = {
  name: "deno",
  inboundTcp: true,
  downstreamMtls: true,
  upstreamHttp2: false,
  tlsOnAcceptedConnections: true,
};

export function createDenoRuntime(options: DenoRuntimeOptions = {}): Runtime {
  const log = options.log ?? ((line: string) => console.log(line));
  const clock: Clock = {
    now: () => performance.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  return {
    clock,
    random: Math.random,
    log,
    readTextFile: (path) => Deno.readTextFile(path),
    capabilities: DENO_CAPABILITIES,
    net: {
      async listen({ host, port }, onConnection) {
        let listener: Deno.TcpListener;
        try {
          listener = Deno.listen({ hostname: host, port });
        } catch (err) {
          throw new WeftError("config", `cannot listen on ${host}:${port}: ${(err as Error).message}`);
        }
        const accepting = (async () => {
          try {
            for await (const conn of listener) {
              conn.setNoDelay(true);
              onConnection(wrapDenoConn(conn));
            }
          } catch { /* closed */ }
        })();
        const addr = listener.addr;
        return {
          host: addr.hostname,
          port: addr.port,
          async close() {
            try {
              listener.close();
            } catch { /* closed */ }
            await accepting;
          },
        };
      },
      connect: (opts) => connect(opts),
      startTls: startServerTls,
    },
    http: { listen: (opts, handler) => listenHttp(opts, handler, { log, clock }) },
    upstream: { createPool: createFetchPool },
    dns: { resolve },
  };
}

async function connect({ host, port, timeoutMs, tls }: ConnectOptions): Promise<Connection> {
  const target = `${host}:${port}`;
  const signal = AbortSignal.timeout(timeoutMs);
  let tcp: Deno.TcpConn;
  try {
    tcp = await Deno.connect({ hostname: host, port, signal });
  } catch (err) {
    throw dialError(err, target, timeoutMs);
  }
  tcp.setNoDelay(true);
  if (!tls) return wrapDenoConn(tcp);
  const serverName = tls.serverName ?? host;
  const common = {
    ...(tls.caPem ? { caCerts: [tls.caPem] } : {}),
    ...(tls.alpn?.length ? { alpnProtocols: [...tls.alpn] } : {}),
  };
  try {
    let conn: Deno.TlsConn;
    if (tls.certPem && tls.keyPem) {
      // Deno.startTls takes no client certificate; Deno.connectTls dials by the name it verifies.
      tcp.close();
      if (serverName !== host) {
        throw new WeftError(
          "unsupported",
          `upstream ${target}: the deno runtime cannot present a client certificate with an SNI (${serverName}) ` +
            `other than the endpoint address; see docs/runtimes.md`,
        );
      }
      const dialing = Deno.connectTls({
        hostname: host,
        port,
        ...common,
        cert: tls.certPem,
        key: tls.keyPem,
      });
      conn = await withTimeout(dialing, signal, () => dialing.then((c) => c.close(), () => {}));
    } else {
      conn = await Deno.startTls(tcp, { hostname: serverName, ...common });
    }
    const { alpnProtocol } = await withTimeout(conn.handshake(), signal, () => conn.close());
    return wrapDenoConn(conn, { serverName, alpn: alpnProtocol ?? undefined });
  } catch (err) {
    if (err instanceof WeftError) throw err;
    try {
      tcp.close();
    } catch { /* consumed by TLS */ }
    throw dialError(err, target, timeoutMs, " (TLS handshake)");
  }
}

function dialError(err: unknown, target: string, timeoutMs: number, phase = ""): WeftError {
  const e = err as Error;
  if (e?.name === "TimeoutError") {
    return new WeftError(
      "upstream_connect_timeout",
      `connect timeout to ${target} after ${timeoutMs} ms${phase}`,
      {
        cause: err,
      },
    );
  }
  return new WeftError(
    "upstream_connect_failure",
    `connect failure to ${target}${phase}: ${e?.message ?? err}`,
    {
      cause: err,
    },
  );
}

function withTimeout<T>(p: Promise<T>, signal: AbortSignal, onAbort: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener("abort", abort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

/** A records first, then AAAA; IP literals and "localhost" resolve without a query. */
async function resolve(hostname: string): Promise<string[]> {
  if (hostname === "localhost") return ["127.0.0.1"];
  if (/^\d+\.\d+\.\d+\.\d+$/.test(hostname) || hostname.includes(":")) {
    return [hostname.replace(/^\[|\]$/g, "")];
  }
  const [v4, v6] = await Promise.allSettled([
    Deno.resolveDns(hostname, "A"),
    Deno.resolveDns(hostname, "AAAA"),
  ]);
  const out = [
    ...(v4.status === "fulfilled" ? v4.value : []),
    ...(v6.status === "fulfilled" ? v6.value : []),
  ];
  if (out.length === 0) {
    const reason = v4.status === "rejected" ? (v4.reason as Error).message : "no A or AAAA records";
    throw new WeftError("upstream_connect_failure", `cannot resolve ${hostname}: ${reason}`);
  }
  return out;
}
