// The send limiter: at most N slots, waiting streams served in order, a slot not renewed for holdMs is given back.
import { describe, expect, it } from "vitest";
import { createSendLimiter, type SendSlot } from "../../../control/xds/send-limiter.ts";
import { createFakeClock } from "./fake-clock.ts";

describe("createSendLimiter", () => {
  it("grants N slots, queues the rest, and hands a released slot to the next waiter", async () => {
    const clock = createFakeClock(0);
    const limiter = createSendLimiter(2, 250, clock);
    const a = await limiter.acquire();
    await limiter.acquire();
    let third: SendSlot | undefined;
    void limiter.acquire().then((slot) => (third = slot));
    await clock.advance(0);
    expect(third).toBeUndefined();
    expect(limiter.stats()).toEqual({ active: 2, waiting: 1 });
    a.release();
    a.release(); // twice is harmless
    await clock.advance(0);
    expect(third).toBeDefined();
    expect(limiter.stats()).toEqual({ active: 2, waiting: 0 });
  });

  it("takes a slot back after holdMs, so a proxy that stops reading cannot stall pushes", async () => {
    const clock = createFakeClock(0);
    const limiter = createSendLimiter(1, 250, clock);
    const held = await limiter.acquire(); // never released by its holder
    let next = false;
    void limiter.acquire().then(() => (next = true));
    await clock.advance(249);
    expect(next).toBe(false);
    await clock.advance(1);
    expect(next).toBe(true);
    expect(held.renew()).toBe(false); // taken back: its holder must acquire another
    held.release(); // harmless: the slot is the next holder's now
    expect(limiter.stats()).toEqual({ active: 1, waiting: 0 });
  });

  it("counts holdMs from the last renewal", async () => {
    const clock = createFakeClock(0);
    const limiter = createSendLimiter(1, 250, clock);
    const held = await limiter.acquire();
    let next = false;
    void limiter.acquire().then(() => (next = true));
    for (let i = 0; i < 4; i++) {
      await clock.advance(200);
      expect(held.renew()).toBe(true);
    }
    expect(next).toBe(false); // 800 ms held, never 250 without a renewal
    await clock.advance(250);
    expect(next).toBe(true);
  });

  it("takes back each slot holdMs after its own last renewal, whatever the order of renewals", async () => {
    const clock = createFakeClock(0);
    const limiter = createSendLimiter(3, 250, clock);
    const [a, b, c] = [await limiter.acquire(), await limiter.acquire(), await limiter.acquire()];
    await clock.advance(100);
    expect(a.renew()).toBe(true); // a now runs out at 350, b and c at 250
    await clock.advance(150);
    expect(b.renew()).toBe(false);
    expect(c.renew()).toBe(false);
    expect(limiter.stats()).toEqual({ active: 1, waiting: 0 });
    await clock.advance(99);
    expect(a.renew()).toBe(true); // at 349: still held, now until 599
    await clock.advance(250);
    expect(a.renew()).toBe(false);
    expect(limiter.stats()).toEqual({ active: 0, waiting: 0 });
  });

  it("hands a slot taken back to the next waiter, with one timer at most and none once nothing is held", async () => {
    const clock = createFakeClock(0);
    const limiter = createSendLimiter(2, 250, clock);
    await limiter.acquire();
    await limiter.acquire();
    expect(clock.pendingTimers()).toBe(1);
    const next: SendSlot[] = [];
    for (let i = 0; i < 2; i++) void limiter.acquire().then((slot) => next.push(slot));
    await clock.advance(250); // both holds run out: each waiter gets a fresh slot, held from now
    expect(next.length).toBe(2);
    expect(limiter.stats()).toEqual({ active: 2, waiting: 0 });
    expect(clock.pendingTimers()).toBe(1);
    next[0].release();
    next[1].release();
    expect(limiter.stats()).toEqual({ active: 0, waiting: 0 });
    expect(clock.pendingTimers()).toBe(0);
  });
});
