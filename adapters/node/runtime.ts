// The Node runtime adapter: node:net/tls sockets, node:http/http2 codecs, undici upstreams, timers, DNS.
import { connect as netConnect, createServer, type Socket } from "node:net";
import { connect as tlsConnect, TLSSocket } from "node:tls";
import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import { Duplex } from "node:stream";
import type { Clock, Runtime } from "../../proxy/runtime/types.ts";
import type { UpstreamPoolOptions } from "../../proxy/http/types.ts";
import { WeftError } from "../../proxy/errors.ts";
import { socketOf, tlsInfoOf, wrapSocket } from "./connection.ts";
import { serveHttp1 } from "./http1-server.ts";
import { serveHttp2 } from "./http2-server.ts";
import { createHttp1Pool } from "./upstream-http1.ts";
import { createHttp2Pool } from "./upstream-http2.ts";
import { tlsConnectOptions } from "./tls-options.ts";

export interface NodeRuntimeOptions {
  /** Where access-log and diagnostic lines go (default: stdout). */
  readonly log?: (line: string) => void;
}

/** Monotonic time and timers on Node. */
export const nodeClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export function createNodeRuntime(options: NodeRuntimeOptions = {}): Runtime {
  return {
    clock: nodeClock,
    random: Math.random,
    readTextFile: (path) => readFile(path, "utf8"),
    log: options.log ?? ((line) => process.stdout.write(line + "\n")),
    capabilities: { name: "node", inboundTcp: true, downstreamMtls: true, upstreamHttp2: true },
    net: {
      listen({ host, port }, onConnection) {
        const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
          socket.on("error", () => {});
          onConnection(wrapSocket(socket));
        });
        return new Promise((resolve, reject) => {
          server.once(
            "error",
            (err) => reject(new WeftError("config", `cannot listen on ${host}:${port}: ${err.message}`)),
          );
          server.listen({ host, port }, () => {
            const addr = server.address() as { address: string; port: number };
            resolve({
              host: addr.address,
              port: addr.port,
              // Resolves once no new connections are accepted: server.close()'s callback would also wait for
              // every open (keep-alive) connection, which proxy.drain() only closes after this resolves.
              close: () => {
                server.close();
                return Promise.resolve();
              },
            });
          });
        });
      },
      connect({ host, port, timeoutMs, tls }) {
        return new Promise((resolve, reject) => {
          const socket: Socket = tls
            ? tlsConnect({ host, port, ...tlsConnectOptions(tls) })
            : netConnect({ host, port, noDelay: true, allowHalfOpen: true });
          const timer = setTimeout(() => {
            socket.destroy();
            reject(
              new WeftError(
                "upstream_connect_timeout",
                `connect timeout to ${host}:${port} after ${timeoutMs} ms`,
              ),
            );
          }, timeoutMs);
          socket.once(tls ? "secureConnect" : "connect", () => {
            clearTimeout(timer);
            socket.removeAllListeners("error");
            socket.on("error", () => {});
            resolve(wrapSocket(socket, tls ? tlsInfoOf(socket as TLSSocket) : undefined));
          });
          socket.once("error", (err) => {
            clearTimeout(timer);
            reject(
              new WeftError("upstream_connect_failure", `connect failure to ${host}:${port}: ${err.message}`),
            );
          });
        });
      },
      startTls(conn, opts) {
        const raw = socketOf(conn);
        return new Promise((resolve, reject) => {
          // Bytes already peeked sit in the JS stream buffer; wrap as a Duplex so TLS sees them.
          const transport = raw.readableLength > 0 ? Duplex.from({ readable: raw, writable: raw }) : raw;
          const socket = new TLSSocket(transport as Socket, {
            isServer: true,
            cert: opts.certPem,
            key: opts.keyPem,
            ca: opts.caPem,
            requestCert: Boolean(opts.requireClientCert || opts.caPem),
            rejectUnauthorized: Boolean(opts.requireClientCert),
            ALPNProtocols: opts.alpn ? [...opts.alpn] : undefined,
          });
          socket.once("secure", () => {
            socket.removeListener("error", reject);
            socket.on("error", () => {});
            if (
              !acceptSecured(
                socket,
                opts.requireClientCert ?? false,
                Boolean(opts.requireClientCert || opts.caPem),
              )
            ) {
              raw.destroy();
              reject(
                new WeftError(
                  "downstream_reset",
                  `TLS client certificate rejected: ${socket.authorizationError}`,
                ),
              );
              return;
            }
            // Over a Duplex.from() transport (bytes were peeked) closing TLS does not close the TCP socket.
            socket.once("close", () => raw.destroy());
            const wrapped = wrapSocket(socket, tlsInfoOf(socket));
            Object.assign(wrapped, {
              remoteAddress: conn.remoteAddress,
              remotePort: conn.remotePort,
              localAddress: conn.localAddress,
              localPort: conn.localPort,
            });
            resolve(wrapped);
          });
          socket.once("error", (err) => {
            raw.destroy();
            reject(new WeftError("downstream_reset", `TLS handshake failed: ${err.message}`));
          });
        });
      },
    },
    http: {
      serve: (conn, opts, handler) =>
        opts.protocol === "http2" ? serveHttp2(conn, opts, handler) : serveHttp1(conn, opts, handler),
    },
    upstream: {
      createPool: (opts: UpstreamPoolOptions) =>
        opts.protocol === "http2" ? createHttp2Pool(opts) : createHttp1Pool(opts),
    },
    dns: {
      async resolve(hostname) {
        const results = await lookup(hostname, { all: true, order: "ipv4first" });
        return results.map((r) => r.address);
      },
    },
  };
}

/**
 * What tls.Server does after a server-side handshake, which a TLSSocket made by hand skips: verify the
 * client certificate against `ca` (OpenSSL only reports the result) and mark the socket connected —
 * node:http2 waits for `secureConnecting` to turn false before it reads a single frame.
 */
function acceptSecured(socket: TLSSocket, rejectUnauthorized: boolean, requestCert: boolean): boolean {
  // Node's own fields (authorizationError holds a code string, as tls.Server sets it).
  const s = socket as unknown as {
    secureConnecting: boolean;
    authorized: boolean;
    authorizationError?: string;
    _handle?: { verifyError?: () => (Error & { code?: string }) | null };
  };
  s.secureConnecting = false;
  if (!requestCert) return true;
  const verifyError = s._handle?.verifyError?.();
  if (!verifyError) {
    s.authorized = true;
    return true;
  }
  s.authorizationError = verifyError.code ?? verifyError.message;
  return !rejectUnauthorized;
}
