// A manual clock for exact timing tests: time moves only when the test advances it.
import type { Clock, TimerHandle } from "../../../proxy/runtime/types.ts";

export interface FakeClock extends Clock {
  /** Moves time forward, firing due timers in order (and letting their promises settle). */
  advance(ms: number): Promise<void>;
  pendingTimers(): number;
}

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

export function createFakeClock(start = 1_000): FakeClock {
  let now = start;
  let seq = 0;
  let timers: Timer[] = [];
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const timer = { id: ++seq, at: now + Math.max(0, ms), fn };
      timers.push(timer);
      return timer as unknown as TimerHandle;
    },
    clearTimeout(handle) {
      timers = timers.filter((t) => t !== handle);
    },
    async advance(ms) {
      const end = now + ms;
      await settle();
      for (;;) {
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
        await settle();
      }
      now = end;
    },
    pendingTimers: () => timers.length,
  };
}
