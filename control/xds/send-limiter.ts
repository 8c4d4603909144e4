// At most N ADS streams writing a response at once, so a push to hundreds of proxies does not queue them all.
//
// Connect asks a stream's generator for its next response only after the previous one was written out; a stream
// holds its slot for a whole batch (xds-stream.ts), from its first `yield` until Connect asks for more after the
// last. A proxy that stops reading would hold its slot for ever: a slot is given back when `holdMs` pass without
// its holder renewing it (at each response of the batch) — the limiter bounds memory; it must never stall pushes.
import type { Clock } from "../../proxy/runtime/types.ts";

/** A granted slot. */
export interface SendSlot {
  /** Gives the slot back (calling it twice, or after it was taken back, is harmless). */
  release(): void;
  /** Restarts the hold time; false when the slot was already taken back (its holder must acquire another). */
  renew(): boolean;
}

export interface SendLimiter {
  acquire(): Promise<SendSlot>;
  /** Slots in use and streams waiting, for tests and debugging. */
  stats(): { readonly active: number; readonly waiting: number };
}

export function createSendLimiter(max: number, holdMs: number, clock: Clock): SendLimiter {
  let active = 0;
  const waiting: (() => void)[] = [];

  function grant(): SendSlot {
    active++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      clock.clearTimeout(timer);
      active--;
      waiting.shift()?.();
    };
    let timer = clock.setTimeout(release, holdMs);
    return {
      release,
      renew() {
        if (!held) return false;
        clock.clearTimeout(timer);
        timer = clock.setTimeout(release, holdMs);
        return true;
      },
    };
  }

  return {
    acquire() {
      if (active < max) return Promise.resolve(grant());
      return new Promise((resolve) => waiting.push(() => resolve(grant())));
    },
    stats: () => ({ active, waiting: waiting.length }),
  };
}
