// Shared deadline queues: entries expire on time and in order, removed ones never do, one timer per timeout value.
import { describe, expect, it } from "vitest";
import { type DeadlineEntry, Deadlines } from "../../../proxy/http/deadlines.ts";
import { createFakeClock } from "../../control/xds/fake-clock.ts";

function entry(name: string, log: string[]): DeadlineEntry {
  return {
    deadline: 0,
    prevEntry: undefined,
    nextEntry: undefined,
    queue: undefined,
    expire: () => log.push(name),
  };
}

describe("Deadlines", () => {
  it("expires each entry at its own deadline, in order, with one runtime timer per timeout value", async () => {
    const clock = createFakeClock();
    const deadlines = new Deadlines(clock);
    const log: string[] = [];
    deadlines.add(entry("a", log), 100, clock.now());
    await clock.advance(30);
    deadlines.add(entry("b", log), 100, clock.now());
    deadlines.add(entry("c", log), 50, clock.now());
    expect(clock.pendingTimers()).toBe(2); // one for the 100 ms queue, one for the 50 ms queue
    await clock.advance(49);
    expect(log).toEqual([]);
    await clock.advance(1); // t = 80: c
    expect(log).toEqual(["c"]);
    await clock.advance(19);
    expect(log).toEqual(["c"]);
    await clock.advance(1); // t = 100: a
    expect(log).toEqual(["c", "a"]);
    await clock.advance(29);
    expect(log).toEqual(["c", "a"]);
    await clock.advance(1); // t = 130: b
    expect(log).toEqual(["c", "a", "b"]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("never expires a removed entry, including the one the timer was armed for", async () => {
    const clock = createFakeClock();
    const deadlines = new Deadlines(clock);
    const log: string[] = [];
    const a = entry("a", log);
    const b = entry("b", log);
    const c = entry("c", log);
    deadlines.add(a, 100, clock.now());
    await clock.advance(10);
    deadlines.add(b, 100, clock.now());
    await clock.advance(10);
    deadlines.add(c, 100, clock.now());
    deadlines.remove(a); // the head: the timer stays armed for t = 100 and re-arms for b
    deadlines.remove(c); // the tail
    expect(a.queue).toBeUndefined();
    await clock.advance(500);
    expect(log).toEqual(["b"]);
    deadlines.remove(b); // already expired: a no-op
    expect(clock.pendingTimers()).toBe(0);
  });

  it("an entry added after its queue emptied gets a timer again", async () => {
    const clock = createFakeClock();
    const deadlines = new Deadlines(clock);
    const log: string[] = [];
    const a = entry("a", log);
    deadlines.add(a, 100, clock.now());
    deadlines.remove(a);
    // Nothing left to time: no timer stays pending (an idle proxy process must be able to exit).
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(150);
    deadlines.add(entry("b", log), 100, clock.now());
    await clock.advance(100);
    expect(log).toEqual(["b"]);
  });
});
