// Wraps a node:net / node:tls socket as the core's Connection (peek without consuming, back-pressured writes).
import type { Socket } from "node:net";
import type { Connection, TlsInfo } from "../../proxy/runtime/types.ts";
import { normalizeAddress } from "../../proxy/runtime/bytes.ts";

const nativeSocket = Symbol("weft.nodeSocket");

export interface NodeConnection extends Connection {
  readonly [nativeSocket]: Socket;
}

/** The node socket behind a Connection created by this adapter. */
export function socketOf(conn: Connection): Socket {
  const socket = (conn as Partial<NodeConnection>)[nativeSocket];
  if (!socket) throw new TypeError("connection was not created by the Node adapter");
  return socket;
}

export function wrapSocket(socket: Socket, tls?: TlsInfo): NodeConnection {
  let closed: Promise<void> | undefined;
  return {
    [nativeSocket]: socket,
    localAddress: normalizeAddress(socket.localAddress),
    localPort: socket.localPort ?? 0,
    remoteAddress: normalizeAddress(socket.remoteAddress),
    remotePort: socket.remotePort ?? 0,
    tls,
    peek: (minBytes, timeoutMs) => peekSocket(socket, minBytes, timeoutMs),
    get readable(): AsyncIterable<Uint8Array> {
      // Not the socket's default iterator: that destroys the socket when the peer's FIN ends the
      // iteration, which would break half-close (tcp_proxy, WebSocket) and drop data still to be written.
      return { [Symbol.asyncIterator]: () => socket.iterator({ destroyOnReturn: false }) };
    },
    write(chunk) {
      if (socket.destroyed) return Promise.reject(new Error("connection closed"));
      if (socket.write(chunk)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const done = (err?: Error) => {
          socket.off("drain", done);
          socket.off("close", done);
          if (err || socket.destroyed) reject(err ?? new Error("connection closed"));
          else resolve();
        };
        socket.on("drain", done);
        socket.on("close", done);
      });
    },
    end: () => socket.end(),
    destroy: () => socket.destroy(),
    get closed() {
      closed ??= socket.destroyed && socket.closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => socket.once("close", () => resolve()));
      return closed;
    },
  };
}

/** Reads until `minBytes` are buffered (or timeout / end), then puts the bytes back. */
function peekSocket(socket: Socket, minBytes: number, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      clearTimeout(timer);
      socket.off("readable", onReadable);
      socket.off("end", finish);
      socket.off("close", finish);
      const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      if (size > 0 && !socket.destroyed) socket.unshift(data);
      resolve(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        size += chunk.length;
      }
      if (size >= minBytes) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on("readable", onReadable);
    socket.once("end", finish);
    socket.once("close", finish);
    onReadable();
  });
}

export { tlsInfoOf } from "./tls-info.ts";
