// At most N ADS streams writing a response at once, so a push to hundreds of proxies does not queue them all.
//
// Connect asks a stream's generator for its next response only after the previous one was written out; a stream
// holds its slot for a whole batch (xds-stream.ts), from its first `yield` until Connect asks for more after the
// last. A proxy that stops reading would hold its slot for ever: a slot is given back after `holdMs` regardless
// (the limiter bounds memory; it must never stall pushes).
import type { Clock } from "../../proxy/runtime/types.ts";

export interface SendLimiter {
  /** Resolves with the function that gives the slot back (calling it twice is harmless). */
  acquire(): Promise<() => void>;
  /** Slots in use and streams waiting, for tests and debugging. */
  stats(): { readonly active: number; readonly waiting: number };
}

export function createSendLimiter(max: number, holdMs: number, clock: Clock): SendLimiter {
  let active = 0;
  const waiting: (() => void)[] = [];

  function grant(): () => void {
    active++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      clock.clearTimeout(timer);
      active--;
      waiting.shift()?.();
    };
    const timer = clock.setTimeout(release, holdMs);
    return release;
  }

  return {
    acquire() {
      if (active < max) return Promise.resolve(grant());
      return new Promise((resolve) => waiting.push(() => resolve(grant())));
    },
    stats: () => ({ active, waiting: waiting.length }),
  };
}
