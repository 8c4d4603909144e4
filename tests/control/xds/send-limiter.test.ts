// The send limiter: at most N slots, waiting streams served in order, a slot held too long is given back.
import { describe, expect, it } from "vitest";
import { createSendLimiter } from "../../../control/xds/send-limiter.ts";
import { createFakeClock } from "./fake-clock.ts";

describe("createSendLimiter", () => {
  it("grants N slots, queues the rest, and hands a released slot to the next waiter", async () => {
    const clock = createFakeClock(0);
    const limiter = createSendLimiter(2, 250, clock);
    const a = await limiter.acquire();
    await limiter.acquire();
    let third: (() => void) | undefined;
    void limiter.acquire().then((release) => (third = release));
    await clock.advance(0);
    expect(third).toBeUndefined();
    expect(limiter.stats()).toEqual({ active: 2, waiting: 1 });
    a();
    a(); // twice is harmless
    await clock.advance(0);
    expect(third).toBeDefined();
    expect(limiter.stats()).toEqual({ active: 2, waiting: 0 });
  });

  it("takes a slot back after holdMs, so a proxy that stops reading cannot stall pushes", async () => {
    const clock = createFakeClock(0);
    const limiter = createSendLimiter(1, 250, clock);
    await limiter.acquire(); // never released by its holder
    let next = false;
    void limiter.acquire().then(() => (next = true));
    await clock.advance(249);
    expect(next).toBe(false);
    await clock.advance(1);
    expect(next).toBe(true);
  });
});
