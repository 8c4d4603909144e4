// A loopback HTTP CONNECT shim so Deno's fetch can reach an endpoint IP while using the cluster's SNI name.
import { WeftError } from "../../proxy/errors.ts";

/**
 * Deno's fetch takes the TLS server name from the URL and has no option to dial another address, but it
 * can tunnel through an HTTP proxy. The pool requests `https://<sni>:<port>/…` through this shim, which
 * answers the CONNECT by dialing the endpoint (with the cluster's connect timeout) and splicing bytes.
 * A failed dial is answered 502 (refused) or 504 (timeout) and remembered, so the pool can report it
 * with the right code (fetch only says the tunnel failed).
 */
export interface ConnectTunnel {
  /** For `Deno.createHttpClient({ proxy: { url } })`. */
  readonly url: string;
  /** The dial error of the most recent failed CONNECT, cleared by the next successful one. */
  lastDialError(): WeftError | undefined;
  close(): void;
}

const MAX_HEAD = 8192;

export function startConnectTunnel(
  target: { host: string; port: number; connectTimeoutMs: number },
): ConnectTunnel {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  let lastError: WeftError | undefined;
  const where = `${target.host}:${target.port}`;

  const handle = async (client: Deno.Conn) => {
    conns.add(client);
    let upstream: Deno.Conn | undefined;
    try {
      const rest = await readHead(client);
      if (rest === null) return;
      try {
        upstream = await Deno.connect({
          hostname: target.host,
          port: target.port,
          signal: AbortSignal.timeout(target.connectTimeoutMs),
        });
      } catch (err) {
        const timeout = (err as Error).name === "TimeoutError";
        lastError = new WeftError(
          timeout ? "upstream_connect_timeout" : "upstream_connect_failure",
          timeout
            ? `connect timeout to ${where} after ${target.connectTimeoutMs} ms`
            : `connect failure to ${where}: ${(err as Error).message}`,
          { cause: err },
        );
        await writeAll(
          client,
          text(`HTTP/1.1 ${timeout ? 504 : 502} Bad Gateway\r\ncontent-length: 0\r\n\r\n`),
        );
        return;
      }
      lastError = undefined;
      conns.add(upstream);
      await writeAll(client, text("HTTP/1.1 200 Connection Established\r\n\r\n"));
      if (rest.length) await writeAll(upstream, rest);
      await Promise.all([pipe(client, upstream), pipe(upstream, client)]);
    } catch {
      /* either side went away */
    } finally {
      for (const c of [client, upstream]) {
        if (!c) continue;
        conns.delete(c);
        try {
          c.close();
        } catch { /* closed */ }
      }
    }
  };

  (async () => {
    try {
      for await (const conn of listener) handle(conn);
    } catch { /* listener closed */ }
  })();

  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    lastDialError: () => lastError,
    close() {
      try {
        listener.close();
      } catch { /* closed */ }
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      conns.clear();
    },
  };
}

/** Reads the CONNECT request head; returns the bytes after it (a client may send its ClientHello early). */
async function readHead(conn: Deno.Conn): Promise<Uint8Array | null> {
  let head = new Uint8Array(0);
  const buf = new Uint8Array(4096);
  while (head.length < MAX_HEAD) {
    const n = await conn.read(buf);
    if (n === null) return null;
    const next = new Uint8Array(head.length + n);
    next.set(head);
    next.set(buf.subarray(0, n), head.length);
    head = next;
    const end = indexOfCrlfCrlf(head);
    if (end >= 0) {
      if (!new TextDecoder().decode(head.subarray(0, 8)).startsWith("CONNECT ")) return null;
      return head.slice(end + 4);
    }
  }
  return null;
}

function indexOfCrlfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

async function pipe(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    for (let n = await from.read(buf); n !== null; n = await from.read(buf)) {
      await writeAll(to, buf.subarray(0, n));
    }
    await to.closeWrite();
  } catch {
    try {
      to.close();
    } catch { /* closed */ }
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
