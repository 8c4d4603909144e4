// HTTP/1.1 idle_timeout and stream_idle_timeout for node:http connections by one periodic sweep per server.
import type { Socket } from "node:net";
import type { ServerResponse } from "node:http";

/**
 * node:http implements these with socket timers that it replaces twice per request (keep-alive timer after each
 * response, request timer on the next request: two closures, two timers) and refreshes on every read and write.
 * Here each server's connections are looked at every `tick` ms instead: a connection whose byte counters have
 * not moved for the timeout is destroyed, as node did: after `streamIdleMs` while a response is in progress,
 * after `idleMs` between requests. A timeout fires between its value and its value plus one tick.
 */
export interface IdleSweeper {
  /** Starts watching a connection (until it closes or is untracked). */
  track(socket: Socket): void;
  /** Stops watching (an upgraded connection is a tunnel now). */
  untrack(socket: Socket): void;
}

interface Watch {
  /** bytesRead + bytesWritten at the last sweep. */
  bytes: number;
  /** When `bytes` last changed (as seen by a sweep). */
  since: number;
}

type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

export function createIdleSweeper(idleMs: number, streamIdleMs: number): IdleSweeper | undefined {
  if (!idleMs && !streamIdleMs) return undefined;
  const shortest = Math.min(idleMs || Infinity, streamIdleMs || Infinity);
  const tick = Math.min(1000, Math.max(25, Math.floor(shortest / 8)));
  const watched = new Map<HttpSocket, Watch>();
  let timer: ReturnType<typeof setInterval> | undefined;

  const sweep = () => {
    const now = performance.now();
    for (const [socket, watch] of watched) {
      const bytes = socket.bytesRead + socket.bytesWritten;
      if (bytes !== watch.bytes) {
        watch.bytes = bytes;
        watch.since = now;
        continue;
      }
      const limit = socket._httpMessage ? streamIdleMs : idleMs;
      if (limit && now - watch.since >= limit) {
        watched.delete(socket);
        socket.destroy();
      }
    }
    if (watched.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const untrack = (socket: Socket) => {
    watched.delete(socket as HttpSocket);
  };

  return {
    track(socket) {
      watched.set(socket as HttpSocket, {
        bytes: socket.bytesRead + socket.bytesWritten,
        since: performance.now(),
      });
      socket.once("close", () => untrack(socket));
      if (!timer) {
        timer = setInterval(sweep, tick);
        timer.unref();
      }
    },
    untrack,
  };
}
