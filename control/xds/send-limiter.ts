// At most N ADS streams writing a response at once, so a push to hundreds of proxies does not queue them all.
//
// Connect asks a stream's generator for its next response only after the previous one was written out; a stream
// holds its slot for a whole batch (xds-stream.ts), from its first `yield` until Connect asks for more after the
// last. A proxy that stops reading would hold its slot for ever: a slot is given back when `holdMs` pass without
// its holder renewing it (at each response of the batch) — the limiter bounds memory; it must never stall pushes.
import type { Clock, TimerHandle } from "../../proxy/runtime/types.ts";

/** A granted slot. */
export interface SendSlot {
  /** Gives the slot back (calling it twice, or after it was taken back, is harmless). A method: call it on the slot. */
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
   * Slots held now, in the order their holds run out (every hold is `holdMs`, so a renewed slot moves to the end):
   * a list through the slots themselves. Not a Set: one that grows to N slots and shrinks back at every push
   * reallocates its hash table each time, and an outgrown table keeps a link to its successor (for iterators) —
   * one that reached V8's old generation kept each later table, and the slots in it, alive through young-generation
   * GCs until the next full one (~0.4 MB promoted per push to 500 proxies). A slot leaves with its links cleared.
   * One timer for the limiter, armed for the first (not one per slot and renewal).
   */
  let first: Slot | undefined;
  let last: Slot | undefined;
  let active = 0;
  let timer: TimerHandle | undefined;
  let timerAt = Number.POSITIVE_INFINITY;

  class Slot implements SendSlot {
    expires = clock.now() + holdMs;
    prev: Slot | undefined = undefined;
    next: Slot | undefined = undefined;
    held = true;

    release(): void {
      if (!this.held) return;
      unlink(this);
      if (active === 0 && timer !== undefined) {
        clock.clearTimeout(timer);
        timer = undefined;
        timerAt = Number.POSITIVE_INFINITY;
      }
      waiting.shift()?.();
    }

    renew(): boolean {
      if (!this.held) return false;
      unlink(this);
      this.expires = clock.now() + holdMs;
      append(this);
      return true;
    }
  }

  function append(slot: Slot) {
    slot.held = true;
    slot.prev = last;
    if (last) last.next = slot;
    else first = slot;
    last = slot;
    active++;
  }

  function unlink(slot: Slot) {
    if (slot.prev) slot.prev.next = slot.next;
    else first = slot.next;
    if (slot.next) slot.next.prev = slot.prev;
    else last = slot.prev;
    slot.prev = slot.next = undefined;
    slot.held = false;
    active--;
  }

  /** Takes back every slot whose hold has run out, then waits for the next one's. */
  function expire() {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    const now = clock.now();
    while (first !== undefined && first.expires <= now) first.release();
    arm();
  }

  function arm() {
    if (first === undefined || first.expires >= timerAt) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timerAt = first.expires;
    timer = clock.setTimeout(expire, Math.max(0, first.expires - clock.now()));
  }

  function grant(): SendSlot {
    const slot = new Slot();
    append(slot);
    arm();
    return slot;
  }

  return {
    acquire() {
      if (active < max) return Promise.resolve(grant());
      return new Promise((resolve) => waiting.push(() => resolve(grant())));
    },
    stats: () => ({ active, waiting: waiting.length }),
  };
}
