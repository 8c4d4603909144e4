// At most N ADS streams writing a response at once, so a push to hundreds of proxies does not queue them all.
//
// Connect asks a stream's generator for its next response only after the previous one was written out; a stream
// holds its slot for a whole batch (xds-stream.ts), from its first `yield` until Connect asks for more after the
// last. A proxy that stops reading would hold its slot for ever: a slot is given back when `holdMs` pass without
// its holder renewing it (at each response of the batch) — the limiter bounds memory; it must never stall pushes.
import type { Clock, TimerHandle } from "../../proxy/runtime/types.ts";

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
  const waiting: (() => void)[] = [];
  /**
   * Slots held now, in the order their holds run out: every hold is `holdMs`, so a renewed slot moves to the end.
   * One timer for the limiter, armed for the first (not one per slot and renewal: a push to 500 proxies made
   * 500 timers that outlived a young-generation GC each time, to be collected from the old generation).
   */
  const held = new Set<Slot>();
  let timer: TimerHandle | undefined;
  let timerAt = Number.POSITIVE_INFINITY;

  class Slot implements SendSlot {
    expires = clock.now() + holdMs;
    /** Callable unbound; a second call, or one after the slot was taken back, does nothing. */
    readonly release = () => {
      if (!held.delete(this)) return;
      if (held.size === 0 && timer !== undefined) {
        clock.clearTimeout(timer);
        timer = undefined;
        timerAt = Number.POSITIVE_INFINITY;
      }
      waiting.shift()?.();
    };
    /** Callable unbound, like `release`. */
    readonly renew = (): boolean => {
      if (!held.delete(this)) return false;
      this.expires = clock.now() + holdMs;
      held.add(this);
      return true;
    };
  }

  /** Takes back every slot whose hold has run out, then waits for the next one's. */
  function expire() {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    const now = clock.now();
    for (const slot of held) {
      if (slot.expires > now) break;
      slot.release();
    }
    arm();
  }

  function arm() {
    const first = held.values().next().value as Slot | undefined;
    if (first === undefined || first.expires >= timerAt) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timerAt = first.expires;
    timer = clock.setTimeout(expire, Math.max(0, first.expires - clock.now()));
  }

  function grant(): SendSlot {
    const slot = new Slot();
    held.add(slot);
    arm();
    return slot;
  }

  return {
    acquire() {
      if (held.size < max) return Promise.resolve(grant());
      return new Promise((resolve) => waiting.push(() => resolve(grant())));
    },
    stats: () => ({ active: held.size, waiting: waiting.length }),
  };
}
