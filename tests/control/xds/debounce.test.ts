// Push debouncing with a fake clock: quiet period, max delay, one run at a time, flush.
import { describe, expect, it } from "vitest";
import { createDebouncer, type DebounceBatch } from "../../../control/xds/debounce.ts";
import { createFakeClock } from "./fake-clock.ts";

function setup(run?: (batch: DebounceBatch) => Promise<void> | void) {
  const clock = createFakeClock(0);
  const runs: { at: number; batch: DebounceBatch }[] = [];
  const debouncer = createDebouncer({
    clock,
    quietMs: 100,
    maxDelayMs: 1_000,
    run: (batch) => {
      runs.push({ at: clock.now(), batch });
      return run?.(batch);
    },
  });
  return { clock, runs, debouncer };
}

describe("createDebouncer", () => {
  it("runs once, quietMs after the last of a burst of events", async () => {
    const { clock, runs, debouncer } = setup();
    debouncer.trigger("a");
    await clock.advance(60);
    debouncer.trigger("b");
    await clock.advance(99);
    expect(runs).toEqual([]);
    await clock.advance(1);
    expect(runs).toEqual([{ at: 160, batch: { reasons: ["a", "b"], firstEventAt: 0 } }]);
    expect(debouncer.pending()).toBe(false);
    await clock.advance(1_000);
    expect(runs).toHaveLength(1);
  });

  it("adds an outcome (extend: false) to a pending batch without restarting its quiet period", async () => {
    const { clock, runs, debouncer } = setup();
    debouncer.trigger("file changed");
    await clock.advance(70);
    debouncer.trigger("config version 2", { extend: false });
    await clock.advance(30);
    expect(runs).toEqual([{
      at: 100,
      batch: { reasons: ["file changed", "config version 2"], firstEventAt: 0 },
    }]);
    // With nothing pending it is an event like any other.
    debouncer.trigger("config version 3", { extend: false });
    await clock.advance(99);
    expect(runs).toHaveLength(1);
    await clock.advance(1);
    expect(runs[1]).toEqual({ at: 200, batch: { reasons: ["config version 3"], firstEventAt: 100 } });
  });

  it("runs at maxDelayMs after the first event even if events never stop", async () => {
    const { clock, runs, debouncer } = setup();
    for (let t = 0; t < 1_500; t += 50) {
      debouncer.trigger(`e${t}`);
      await clock.advance(50);
    }
    expect(runs.map((r) => r.at)).toEqual([1_000]);
    expect(runs[0].batch.reasons).toHaveLength(20); // events at 0, 50, ... 950
    expect(runs[0].batch.firstEventAt).toBe(0);
    await clock.advance(100); // the second batch (1000..1450) goes quiet at 1550
    expect(runs.map((r) => r.at)).toEqual([1_000, 1_550]);
    expect(runs[1].batch.firstEventAt).toBe(1_000);
  });

  it("never runs two at once: a batch due during a run starts when that run ends", async () => {
    let release!: () => void;
    let active = 0;
    let maxActive = 0;
    const { clock, runs, debouncer } = setup(async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      if (runs.length === 1) await new Promise<void>((resolve) => release = resolve);
      active -= 1;
    });
    debouncer.trigger("first");
    await clock.advance(100);
    expect(runs).toHaveLength(1);
    debouncer.trigger("during");
    await clock.advance(500); // due at 200, but the first run is still going
    expect(runs).toHaveLength(1);
    expect(debouncer.pending()).toBe(true);
    release();
    await clock.advance(0);
    expect(runs.map((r) => [r.at, r.batch.reasons])).toEqual([[100, ["first"]], [600, ["during"]]]);
    expect(maxActive).toBe(1);
  });

  it("flush runs the pending batch now and waits for it; errors do not stop later runs", async () => {
    const errors: unknown[] = [];
    const clock = createFakeClock(0);
    const seen: string[][] = [];
    const debouncer = createDebouncer({
      clock,
      onError: (err) => errors.push(err),
      run: (batch) => {
        seen.push([...batch.reasons]);
        if (batch.reasons.includes("bad")) throw new Error("boom");
      },
    });
    debouncer.trigger("bad");
    await debouncer.flush();
    debouncer.trigger("good");
    await debouncer.flush();
    expect(seen).toEqual([["bad"], ["good"]]);
    expect(errors).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
    debouncer.close();
    debouncer.trigger("ignored");
    await clock.advance(20_000);
    expect(seen).toHaveLength(2);
  });

  it("is busy from the first event until its run has finished", async () => {
    let finish!: () => void;
    const { clock, runs, debouncer } = setup(() => new Promise<void>((resolve) => finish = resolve));
    expect(debouncer.busy()).toBe(false);
    debouncer.trigger("a");
    expect(debouncer.busy()).toBe(true); // waiting for quiet
    await clock.advance(100);
    expect(runs).toHaveLength(1);
    expect(debouncer.pending()).toBe(false);
    expect(debouncer.busy()).toBe(true); // running
    finish();
    await clock.advance(0);
    expect(debouncer.busy()).toBe(false);
  });
});
