// mTLS HTTP listeners on Deno: node:tls verifies client certificates, a loopback Deno.serve speaks HTTP.
import { createServer, type Server, type TLSSocket } from "node:tls";
import type { HttpListenOptions } from "../../proxy/http/types.ts";
import type { Clock, ListenHandle, ServerTlsOptions } from "../../proxy/runtime/types.ts";
import { WeftError } from "../../proxy/errors.ts";
import { normalizeAddress } from "../../proxy/runtime/bytes.ts";
import { drained, serverTlsOptions, tlsInfoOf } from "./node-tls.ts";
import type { Peer, WebHandler } from "./request-handler.ts";
import { startIdleTimer } from "./stream-idle.ts";

const READ_SIZE = 64 * 1024;

/**
 * Deno.listenTls / Deno.serve cannot ask for a client certificate, node:tls can. Each verified connection
 * is spliced, decrypted, to a Deno.serve bound to 127.0.0.1:0, so requests take exactly the path of every
 * other Deno listener (HTTP/1.1, HTTP/2 when ALPN picks h2, the same limits and timeouts). The loopback
 * server answers only connections this listener dialed: it finds the client's address and certificate by
 * the source port of its splice, and refuses any other connection (403).
 */
export async function listenMtls(
  options: HttpListenOptions,
  web: WebHandler,
  deps: { readonly clock: Clock; readonly onError: (err: unknown) => Response },
): Promise<ListenHandle> {
  const { host, port } = options;
  const tls = options.tls as ServerTlsOptions;
  const peers = new Map<number, Peer>();
  const sockets = new Set<TLSSocket>();
  const inner = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, onError: deps.onError },
    (request, info) => {
      const peer = peers.get(info.remoteAddr.port);
      if (!peer) return new Response("not a connection of this listener\n", { status: 403 });
      return web(request, peer);
    },
  );
  const server = createServer(serverTlsOptions(tls, ["h2", "http/1.1"]), (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // tls.Server refuses unverified clients itself when rejectUnauthorized is set; never pass one on.
    if (tls.requireClientCert && !socket.authorized) return socket.destroy();
    splice(socket, inner.addr.port, peers, options.serve.idleTimeoutMs, deps.clock);
  });
  server.on("tlsClientError", () => {});
  try {
    await listen(server, host, port);
  } catch (err) {
    await inner.shutdown();
    throw new WeftError("config", `cannot listen on ${host}:${port}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const addr = server.address() as { address: string; port: number };
  return {
    host: addr.address,
    port: addr.port,
    async close() {
      server.close();
      // Graceful: in-flight responses finish, then the loopback connections (and so the splices) close.
      await inner.shutdown();
      for (const s of sockets) s.destroy();
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Pipes a verified TLS socket to the loopback Deno.serve both ways, closing both when either side ends. */
async function splice(
  socket: TLSSocket,
  innerPort: number,
  peers: Map<number, Peer>,
  idleTimeoutMs: number,
  clock: Clock,
): Promise<void> {
  socket.pause();
  socket.on("error", () => {});
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port: innerPort });
  } catch {
    socket.destroy();
    return;
  }
  conn.setNoDelay(true);
  const key = conn.localAddr.port;
  peers.set(key, {
    remoteAddress: normalizeAddress(socket.remoteAddress),
    remotePort: socket.remotePort ?? 0,
    localAddress: normalizeAddress(socket.localAddress),
    localPort: socket.localPort ?? 0,
    tls: tlsInfoOf(socket),
  });
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    idle?.stop();
    peers.delete(key);
    socket.destroy();
    try {
      conn.close();
    } catch { /* closed */ }
  };
  // idle_timeout: no bytes either way for that long closes the connection (as Node's HTTP/2 listener),
  // with a TLS close_notify so that the client sees a clean close.
  const idle = idleTimeoutMs > 0
    ? startIdleTimer(clock, idleTimeoutMs, () => socket.destroySoon())
    : undefined;
  socket.on("data", (chunk: Uint8Array) => {
    idle?.touch();
    socket.pause();
    writeAll(conn, chunk).then(() => socket.resume(), finish);
  });
  socket.on("end", () => conn.closeWrite().catch(finish));
  socket.on("close", finish);
  socket.resume();
  const buf = new Uint8Array(READ_SIZE);
  try {
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      idle?.touch();
      if (!socket.write(buf.slice(0, n))) await drained(socket);
    }
    socket.end();
  } catch {
    finish();
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}
