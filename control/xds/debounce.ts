// Push debouncing (Istio's PILOT_DEBOUNCE_AFTER / _MAX): coalesce change events, never run two pushes at once.
import type { Clock, TimerHandle } from "../../proxy/runtime/types.ts";

export interface DebounceBatch {
  /** Every reason given since the previous run, in order. */
  readonly reasons: readonly string[];
  /** Clock time of the first event of this batch (the start of convergence). */
  readonly firstEventAt: number;
}

export interface DebouncerConfig {
  /** Run after this long without a new event (default 100 ms). */
  readonly quietMs?: number;
  /** ... or at the latest this long after the batch's first event (default 10 s). */
  readonly maxDelayMs?: number;
  readonly clock: Clock;
  readonly run: (batch: DebounceBatch) => void | Promise<void>;
  /** Errors thrown by `run` (the debouncer keeps going). */
  readonly onError?: (err: unknown) => void;
}

export interface Debouncer {
  /**
   * An event. `extend: false` adds the reason to a pending batch without restarting its quiet period: for
   * the outcome of an event already counted (a config file changed → the reload it caused).
   */
  trigger(reason: string, options?: { readonly extend?: boolean }): void;
  /** Whether events are waiting for a run. */
  pending(): boolean;
  /** A batch is pending or running. */
  busy(): boolean;
  /** Runs the pending batch now (after the current run, if one is going) and resolves when all is idle. */
  flush(): Promise<void>;
  /** Drops the pending batch and its timer. */
  close(): void;
}

export function createDebouncer(config: DebouncerConfig): Debouncer {
  const quietMs = config.quietMs ?? 100;
  const maxDelayMs = config.maxDelayMs ?? 10_000;
  const { clock } = config;
  let reasons: string[] = [];
  let firstAt = 0;
  let lastAt = 0;
  let timer: TimerHandle | undefined;
  let running: Promise<void> | undefined;
  /** The pending batch became due while a run was going: start it as soon as that run ends. */
  let due = false;
  let closed = false;

  function cancelTimer() {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  }

  function schedule() {
    cancelTimer();
    const deadline = Math.min(lastAt + quietMs, firstAt + maxDelayMs);
    timer = clock.setTimeout(fire, Math.max(0, deadline - clock.now()));
  }

  function fire() {
    timer = undefined;
    if (running) due = true;
    else start();
  }

  function start() {
    if (reasons.length === 0 || closed) return;
    cancelTimer();
    const batch: DebounceBatch = { reasons, firstEventAt: firstAt };
    reasons = [];
    const done = async () => {
      try {
        await config.run(batch);
      } catch (err) {
        config.onError?.(err);
      }
    };
    running = done().then(() => {
      running = undefined;
      if (due) {
        due = false;
        start();
      }
    });
  }

  return {
    trigger(reason, options) {
      if (closed) return;
      if (options?.extend === false && reasons.length > 0 && timer !== undefined) {
        reasons.push(reason);
        return;
      }
      const now = clock.now();
      if (reasons.length === 0) firstAt = now;
      lastAt = now;
      reasons.push(reason);
      if (running && due) return; // already starts right after the current run
      schedule();
    },
    pending: () => reasons.length > 0,
    busy: () => reasons.length > 0 || running !== undefined,
    async flush() {
      while (running || reasons.length > 0) {
        if (running) {
          due = reasons.length > 0;
          await running;
        } else start();
      }
    },
    close() {
      closed = true;
      reasons = [];
      cancelTimer();
    },
  };
}
