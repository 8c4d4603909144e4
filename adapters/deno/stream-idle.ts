// Envoy's stream_idle_timeout for Deno listeners: requests reset by body bytes either way, swept by one timer.
import type { Body } from "../../proxy/http/types.ts";
import type { Clock } from "../../proxy/runtime/types.ts";

/** A timer re-armed lazily: `touch` only records the time, so a busy connection costs no timer churn. */
export interface IdleTimer {
  touch(): void;
  stop(): void;
}

export function startIdleTimer(clock: Clock, ms: number, onIdle: () => void): IdleTimer {
  let last = clock.now();
  let stopped = false;
  const check = () => {
    if (stopped) return;
    const left = last + ms - clock.now();
    if (left > 0) {
      handle = clock.setTimeout(check, left);
      return;
    }
    stopped = true;
    onIdle();
  };
  let handle = clock.setTimeout(check, ms);
  return {
    touch: () => (last = clock.now()),
    stop() {
      if (stopped) return;
      stopped = true;
      clock.clearTimeout(handle);
    },
  };
}

export class StreamIdleTimeout extends Error {
  constructor(ms: number) {
    super(`stream idle timeout (${ms} ms without request or response bytes)`);
    this.name = "StreamIdleTimeout";
  }
}

/**
 * One request under the timeout. Its request body and response body (wrapped by `watch`) count as activity;
 * it ends when the response body ends (or `stop`). When it fires, `onIdle` callbacks run (the core resets the
 * upstream attempt, as for a client that went away) and watched bodies error (Deno.serve then aborts the
 * response: the HTTP/1.1 connection is closed, an HTTP/2 stream reset).
 */
export interface StreamIdleWatch {
  readonly fired: StreamIdleTimeout | undefined;
  /** Calls `fn` once when the timer fires; returns an unsubscribe function. */
  onIdle(fn: (err: StreamIdleTimeout) => void): () => void;
  /** A copy of `body` that counts as activity; with `endsStream` (the response) its end ends the watch. */
  watch(body: Body, endsStream?: boolean): ReadableStream<Uint8Array>;
  stop(): void;
}

/**
 * Per-request timers are costly in Deno (a setTimeout / clearTimeout pair per request is a measurable
 * share of proxying one): the requests of a listener share one sweep instead, every eighth of the timeout
 * (10 ms … 1 s), so a stream fires between `ms` and `ms` plus one sweep period after its last activity.
 */
export function createStreamIdleSweeper(clock: Clock, ms: number): () => StreamIdleWatch {
  const period = Math.min(Math.max(ms / 8, 10), 1000);
  const live = new Set<Entry>();
  let armed = false;
  const sweep = () => {
    const now = clock.now();
    for (const e of live) {
      if (now - e.last >= ms) {
        live.delete(e);
        e.fire();
      }
    }
    armed = live.size > 0;
    if (armed) clock.setTimeout(sweep, period);
  };
  return () => {
    const entry = new Entry(clock, ms, live);
    live.add(entry);
    if (!armed) {
      armed = true;
      clock.setTimeout(sweep, period);
    }
    return entry;
  };
}

class Entry implements StreamIdleWatch {
  last: number;
  fired: StreamIdleTimeout | undefined;
  #listeners: ((err: StreamIdleTimeout) => void)[] | undefined;
  #bodies: Set<Watched> | undefined;

  constructor(private clock: Clock, private ms: number, private live: Set<Entry>) {
    this.last = clock.now();
  }

  fire() {
    const err = this.fired = new StreamIdleTimeout(this.ms);
    for (const fn of this.#listeners ?? []) fn(err);
    this.#listeners = undefined;
    for (const w of this.#bodies ?? []) {
      fail(w.controller, err);
      w.reader.cancel(err).catch(() => {});
    }
    this.#bodies = undefined;
  }

  onIdle(fn: (err: StreamIdleTimeout) => void): () => void {
    if (this.fired) {
      fn(this.fired);
      return () => {};
    }
    (this.#listeners ??= []).push(fn);
    return () => {
      this.#listeners = this.#listeners?.filter((f) => f !== fn);
    };
  }

  stop() {
    this.live.delete(this);
  }

  watch(body: Body, endsStream = false): ReadableStream<Uint8Array> {
    const source = body instanceof ReadableStream ? body : ReadableStream.from(body);
    const reader = (source as ReadableStream<Uint8Array>).getReader();
    const bodies = this.#bodies ??= new Set();
    let entry!: Watched;
    const finish = () => {
      bodies.delete(entry);
      if (endsStream) this.stop();
    };
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        entry = { controller, reader };
        if (this.fired) {
          fail(controller, this.fired);
          reader.cancel(this.fired).catch(() => {});
        } else bodies.add(entry);
      },
      pull: async (controller) => {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (err) {
          finish();
          fail(controller, err);
          return;
        }
        if (this.fired) return; // errored by the sweep; the read ended by its cancel
        this.last = this.clock.now();
        if (next.done) {
          finish();
          controller.close();
        } else controller.enqueue(next.value);
      },
      cancel: (reason) => {
        finish();
        return reader.cancel(reason);
      },
    });
  }
}

interface Watched {
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  readonly reader: ReadableStreamDefaultReader<Uint8Array>;
}

function fail(controller: ReadableStreamDefaultController<Uint8Array>, err: unknown) {
  try {
    controller.error(err);
  } catch { /* already closed or errored */ }
}
