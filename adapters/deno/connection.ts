// Wraps a Deno.Conn (TCP or TLS) as the core's Connection: peek without consuming, full writes, half-close.
import type { Connection, TlsInfo } from "../../proxy/runtime/types.ts";
import { concatBytes } from "../../proxy/runtime/bytes.ts";

const READ_SIZE = 64 * 1024;

/**
 * One reader owns the socket: `peek` and `readable` share it, so bytes peeked are replayed first and a
 * read still pending when a peek times out is reused by the next read instead of being lost.
 */
export function wrapDenoConn(conn: Deno.Conn, tls?: TlsInfo): Connection {
  const local = conn.localAddr as Deno.NetAddr;
  const remote = conn.remoteAddr as Deno.NetAddr;
  const buffered: Uint8Array[] = [];
  let pending: Promise<Uint8Array | null> | undefined;
  let eof = false;
  let writeEnded = false;
  let closedByUs = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

  const close = () => {
    if (closedByUs) return;
    closedByUs = true;
    try {
      conn.close();
    } catch { /* already closed */ }
    resolveClosed();
  };
  // Both directions finished (our FIN sent, theirs received): the connection is done.
  const closeIfDone = () => {
    if (eof && writeEnded) close();
  };

  const readChunk = (): Promise<Uint8Array | null> => {
    pending ??= (async () => {
      const buf = new Uint8Array(READ_SIZE);
      try {
        const n = await conn.read(buf);
        return n === null ? null : buf.slice(0, n);
      } catch (err) {
        if (closedByUs) return null;
        throw err;
      }
    })();
    return pending;
  };
  const take = async (): Promise<Uint8Array | null> => {
    if (buffered.length) return buffered.shift()!;
    if (eof) return null;
    try {
      const chunk = await readChunk();
      if (chunk === null) {
        eof = true;
        closeIfDone();
      }
      return chunk;
    } finally {
      pending = undefined;
    }
  };

  return {
    localAddress: local.hostname,
    localPort: local.port,
    remoteAddress: remote.hostname,
    remotePort: remote.port,
    tls,
    async peek(minBytes, timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((
        resolve,
      ) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
      try {
        while (size(buffered) < minBytes && !eof) {
          const next = await Promise.race([readChunk(), timeout]);
          if (next === "timeout") break;
          pending = undefined;
          if (next === null) eof = true;
          else buffered.push(next);
        }
      } catch {
        eof = true;
      } finally {
        clearTimeout(timer);
      }
      return concatBytes(buffered);
    },
    get readable(): AsyncIterable<Uint8Array> {
      return {
        async *[Symbol.asyncIterator]() {
          for (let chunk = await take(); chunk !== null; chunk = await take()) yield chunk;
        },
      };
    },
    async write(chunk) {
      if (closedByUs || writeEnded) throw new Error("connection closed");
      for (let off = 0; off < chunk.length;) off += await conn.write(chunk.subarray(off));
    },
    end() {
      if (writeEnded || closedByUs) return;
      writeEnded = true;
      conn.closeWrite().catch(() => {}).finally(closeIfDone);
    },
    destroy: close,
    closed,
  };
}

function size(chunks: readonly Uint8Array[]): number {
  return chunks.reduce((n, c) => n + c.length, 0);
}
