// Outbound TCP (and TLS) for the core on Workers: connect() from cloudflare:sockets as a core Connection.
import { connect } from "cloudflare:sockets";
import type { Clock, Connection, ConnectOptions } from "../../proxy/runtime/types.ts";
import { WeftError } from "../../proxy/errors.ts";
import { concatBytes } from "../../proxy/runtime/bytes.ts";

/** The shape of `connect` from cloudflare:sockets (injectable for tests). */
export type SocketConnect = (
  address: { hostname: string; port: number },
  options: { secureTransport: "off" | "on"; allowHalfOpen: boolean },
) => Socket;

const noop = () => {};

/** A socket as a core Connection, with peek() buffering what it read ahead for the first iteration. */
export function wrapSocket(
  socket: Socket,
  options: ConnectOptions,
  localAddress: string,
  clock: Clock,
): Connection {
  const reader = socket.readable.getReader();
  const writer = socket.writable.getWriter();
  // A reset or destroy() rejects these; nobody waits on them, the read/write calls report errors.
  reader.closed.catch(noop);
  writer.closed.catch(noop);
  let buffered: Uint8Array[] = [];
  let bufferedLength = 0;
  let ended = false;
  let pending: Promise<void> | undefined;
  let writeEnded = false;
  /** connect()'s socket reports closed only after close(): call it once both directions are done. */
  const closeIfDone = () => {
    if (ended && writeEnded) socket.close().catch(noop);
  };
  /** One read at a time; a read that outlives a peek() timeout is kept for the next caller. */
  const readMore = () =>
    pending ??= reader.read().then(({ value, done }) => {
      pending = undefined;
      if (done) {
        ended = true;
        closeIfDone();
      } else {
        buffered.push(value);
        bufferedLength += value.length;
      }
    }, (err) => {
      pending = undefined;
      ended = true;
      throw err;
    });

  return {
    localAddress,
    localPort: 0,
    remoteAddress: options.host,
    remotePort: options.port,
    ...(options.tls ? { tls: { serverName: options.tls.serverName ?? options.host } } : {}),
    async peek(minBytes, timeoutMs) {
      let timedOut = false;
      let timer: ReturnType<Clock["setTimeout"]> | undefined;
      const expired = new Promise<void>((resolve) => {
        timer = clock.setTimeout(() => {
          timedOut = true;
          resolve();
        }, timeoutMs);
      });
      try {
        while (bufferedLength < minBytes && !ended && !timedOut) {
          await Promise.race([readMore().catch(noop), expired]);
        }
      } finally {
        clock.clearTimeout(timer!);
      }
      return concatBytes(buffered, bufferedLength);
    },
    readable: (async function* () {
      for (;;) {
        if (bufferedLength > 0) {
          const chunk = concatBytes(buffered, bufferedLength);
          buffered = [];
          bufferedLength = 0;
          yield chunk;
        }
        if (ended) return;
        await readMore();
      }
    })(),
    async write(chunk) {
      await writer.write(chunk);
    },
    end() {
      writeEnded = true;
      writer.close().then(closeIfDone, noop);
    },
    destroy() {
      socket.close().catch(noop);
    },
    closed: socket.closed.then(noop, noop),
  };
}

/** What connect() cannot do: it verifies against the runtime's trust store only and presents no client certificate. */
function refusal(options: ConnectOptions): string | undefined {
  const tls = options.tls;
  if (tls?.caPem || tls?.certPem || tls?.keyPem) return "TLS with a custom CA or a client certificate";
  return undefined; // `insecure` (no validation context): connect() verifies anyway, which is stricter
}

/** Opens a connection; rejects with upstream_connect_failure / upstream_connect_timeout like the Node adapter. */
export async function connectTcp(
  options: ConnectOptions,
  clock: Clock,
  connectFn: SocketConnect = connect as SocketConnect,
): Promise<Connection> {
  const refused = refusal(options);
  if (refused) throw new WeftError("unsupported", `the workers runtime cannot connect with ${refused}`);
  const target = `${options.host}:${options.port}`;
  let socket: Socket;
  try {
    socket = connectFn({ hostname: options.host, port: options.port }, {
      secureTransport: options.tls ? "on" : "off",
      allowHalfOpen: true,
    });
  } catch (err) {
    throw new WeftError(
      "upstream_connect_failure",
      `connect failure to ${target}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  socket.closed.catch(noop); // rejects when the connect fails; reported through `opened` below
  let timer: ReturnType<Clock["setTimeout"]> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(
      () => reject(new WeftError("upstream_connect_timeout", `connect timeout to ${target}`)),
      options.timeoutMs,
    );
  });
  try {
    const info = await Promise.race([socket.opened, timeout]);
    return wrapSocket(socket, options, info.localAddress ?? "", clock);
  } catch (err) {
    socket.close().catch(noop);
    if (err instanceof WeftError) throw err;
    throw new WeftError(
      "upstream_connect_failure",
      `connect failure to ${target}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}
