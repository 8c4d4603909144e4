// Request deadlines without a runtime timer each: one timer per distinct timeout for all requests that share it.
import type { Clock, TimerHandle } from "../runtime/types.ts";

/** Something with a deadline; it is its own list node (no allocation per deadline). Fields are the queue's. */
export interface DeadlineEntry {
  /** Absolute time (clock.now()) at which `expire` is called. */
  deadline: number;
  prevEntry: DeadlineEntry | undefined;
  nextEntry: DeadlineEntry | undefined;
  queue: { remove(entry: DeadlineEntry): void } | undefined;
  /** Called once when the deadline passes before the entry was removed. */
  expire(): void;
}

/**
 * The entries that have the same timeout, in the order they were added — which is also deadline order, as the
 * clock is monotonic. One runtime timer is armed for the earliest deadline; an entry removed early (the usual
 * case: the response came in time) is only unlinked, and the timer, when it fires, expires what is due and is
 * armed again for the next entry. Per request this replaces setting and clearing a runtime timer (Node: a
 * Timeout object, a timer-list insertion and a native clock read) with a few field writes.
 */
class DeadlineQueue {
  head: DeadlineEntry | undefined;
  tail: DeadlineEntry | undefined;
  timer: TimerHandle | undefined;
  readonly #clock: Clock;
  readonly #onEmpty: () => void;

  constructor(clock: Clock, onEmpty: () => void) {
    this.#clock = clock;
    this.#onEmpty = onEmpty;
  }

  add(entry: DeadlineEntry, deadline: number, now: number) {
    entry.deadline = deadline;
    entry.queue = this;
    entry.prevEntry = this.tail;
    entry.nextEntry = undefined;
    if (this.tail) this.tail.nextEntry = entry;
    else this.head = entry;
    this.tail = entry;
    if (this.timer === undefined) this.#arm(deadline - now);
  }

  remove(entry: DeadlineEntry) {
    const { prevEntry, nextEntry } = entry;
    if (prevEntry) prevEntry.nextEntry = nextEntry;
    else this.head = nextEntry;
    if (nextEntry) nextEntry.prevEntry = prevEntry;
    else this.tail = prevEntry;
    entry.prevEntry = entry.nextEntry = entry.queue = undefined;
    // Nothing left to time: drop the timer, so that an idle proxy has none pending (a process can exit).
    if (this.head === undefined && this.timer !== undefined) {
      this.#clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.#onEmpty();
    }
  }

  #arm(ms: number) {
    this.timer = this.#clock.setTimeout(this.#fire, Math.max(0, ms));
  }

  #fire = () => {
    this.timer = undefined;
    const now = this.#clock.now();
    let entry = this.head;
    while (entry && entry.deadline <= now) {
      this.remove(entry);
      entry.expire();
      entry = this.head;
    }
    if (entry) this.#arm(entry.deadline - now);
    else this.#onEmpty();
  };
}

/** The deadline queues of one clock, by timeout value. */
export class Deadlines {
  readonly #clock: Clock;
  readonly #queues = new Map<number, DeadlineQueue>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Calls `entry.expire()` `timeoutMs` after `now` (the clock's current time) unless removed before. */
  add(entry: DeadlineEntry, timeoutMs: number, now: number): void {
    let queue = this.#queues.get(timeoutMs);
    if (!queue) {
      const created = queue = new DeadlineQueue(this.#clock, () => {
        if (created.head === undefined) this.#queues.delete(timeoutMs);
      });
      this.#queues.set(timeoutMs, queue);
    }
    queue.add(entry, now + timeoutMs, now);
  }

  remove(entry: DeadlineEntry): void {
    entry.queue?.remove(entry);
  }
}

const byClock = new WeakMap<Clock, Deadlines>();

/** The deadlines driven by `clock` (one set per clock: tests give each proxy its own). */
export function deadlinesOf(clock: Clock): Deadlines {
  let deadlines = byClock.get(clock);
  if (!deadlines) byClock.set(clock, deadlines = new Deadlines(clock));
  return deadlines;
}
