// Server-side TLS on a connection the core accepted (tcp_proxy chains), with node:tls over the Deno socket.
import { Duplex } from "node:stream";
import { TLSSocket } from "node:tls";
import type { Connection, ServerTlsOptions } from "../../proxy/runtime/types.ts";
import { WeftError } from "../../proxy/errors.ts";
import { concatBytes } from "../../proxy/runtime/bytes.ts";
import { drained, serverTlsOptions, tlsInfoOf, verifyClient } from "./node-tls.ts";

/** Plaintext buffered ahead of the reader before the TLS socket is paused. */
const HIGH_WATER = 256 * 1024;

/**
 * Deno has no server-side startTls. node:tls can run a server handshake over any duplex stream, so the
 * accepted connection (bytes a listener inspector peeked included: they are read again) becomes the TLS
 * socket's transport, and the decrypted side is a Connection again. Client certificates are checked as
 * on Node: with a CA they are requested, with require_client_certificate a missing or bad one fails.
 */
export function startServerTls(conn: Connection, tls: ServerTlsOptions): Promise<Connection> {
  const socket = new TLSSocket(transportOf(conn), { isServer: true, ...serverTlsOptions(tls, tls.alpn) });
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => {
      conn.destroy();
      reject(new WeftError("downstream_reset", `TLS handshake failed: ${err.message}`));
    };
    socket.once("error", failed);
    socket.once("secure", () => {
      socket.off("error", failed);
      socket.on("error", () => {});
      if (!verifyClient(socket, tls)) {
        socket.destroy();
        conn.destroy();
        reject(
          new WeftError("downstream_reset", `TLS client certificate rejected: ${socket.authorizationError}`),
        );
        return;
      }
      resolve(decrypted(socket, conn));
    });
  });
}

/** The accepted connection as a node Duplex (reads on demand, so back-pressure reaches the socket). */
function transportOf(conn: Connection): Duplex {
  const chunks = conn.readable[Symbol.asyncIterator]();
  let reading = false;
  return new Duplex({
    read() {
      if (reading) return;
      reading = true;
      chunks.next().then(
        (next) => {
          reading = false;
          this.push(next.done ? null : next.value);
        },
        (err) => this.destroy(err),
      );
    },
    write(chunk: Uint8Array, _encoding, callback) {
      conn.write(chunk).then(() => callback(), callback);
    },
    final(callback) {
      conn.end();
      callback();
    },
    destroy(err, callback) {
      conn.destroy();
      callback(err);
    },
  });
}

/** The decrypted side of a TLS socket as the core's Connection, with the accepted connection's addresses. */
function decrypted(socket: TLSSocket, conn: Connection): Connection {
  const queue: Uint8Array[] = [];
  let queued = 0;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const waitForData = () => new Promise<void>((resolve) => (wake = resolve));
  socket.on("data", (chunk: Uint8Array) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= HIGH_WATER) socket.pause();
    notify();
  });
  socket.on("end", () => {
    ended = true;
    notify();
  });
  const closed = new Promise<void>((resolve) =>
    socket.once("close", () => {
      ended = true;
      notify();
      conn.destroy();
      resolve();
    })
  );
  const take = async (): Promise<Uint8Array | null> => {
    while (queue.length === 0 && !ended) await waitForData();
    const chunk = queue.shift();
    if (!chunk) return null;
    queued -= chunk.length;
    if (queued < HIGH_WATER && socket.isPaused()) socket.resume();
    return chunk;
  };
  return {
    localAddress: conn.localAddress,
    localPort: conn.localPort,
    remoteAddress: conn.remoteAddress,
    remotePort: conn.remotePort,
    tls: tlsInfoOf(socket),
    async peek(minBytes, timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let timedOut = false;
      const timeout = new Promise<void>((resolve) =>
        timer = setTimeout(() => {
          timedOut = true;
          resolve();
        }, timeoutMs)
      );
      while (queued < minBytes && !ended && !timedOut) await Promise.race([waitForData(), timeout]);
      clearTimeout(timer);
      return concatBytes(queue, queued);
    },
    get readable(): AsyncIterable<Uint8Array> {
      return {
        async *[Symbol.asyncIterator]() {
          for (let chunk = await take(); chunk !== null; chunk = await take()) yield chunk;
        },
      };
    },
    write(chunk) {
      if (socket.destroyed) return Promise.reject(new Error("connection closed"));
      if (socket.write(chunk)) return Promise.resolve();
      return drained(socket);
    },
    end: () => socket.end(),
    destroy: () => {
      socket.destroy();
      conn.destroy();
    },
    closed,
  };
}
