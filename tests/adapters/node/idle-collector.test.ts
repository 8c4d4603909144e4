// Idle-time full GCs: when the policy collects (fake host), and that a real isolate's garbage goes while idle.
import { constants, PerformanceObserver } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import {
  createIdleCollector,
  DEFAULT_IDLE_COLLECTION,
  type IdleCollectorHost,
  nodeIdleCollectorHost,
} from "../../../adapters/node/idle-collector.ts";

/** A host whose heap, loop utilization and ticks the test sets; a collection brings the heap back to `liveMb`. */
function fakeHost(liveMb: number) {
  let tick: (() => void) | undefined;
  const state = {
    oldMb: liveMb,
    liveMb,
    youngMb: 0,
    utilization: 0,
    collections: 0,
    youngCollections: 0,
    stopped: false,
  };
  const host: IdleCollectorHost = {
    oldGenerationMb: () => state.oldMb,
    utilization: () => state.utilization,
    youngGeneration: () => ({ usedMb: state.youngMb, capacityMb: 64 }),
    collect: () => {
      state.collections++;
      state.oldMb = state.liveMb;
      state.youngMb = 0;
    },
    collectYoung: () => {
      state.youngCollections++;
      state.youngMb = 4;
    },
    setInterval: (fn) => {
      tick = fn;
      return { stop: () => state.stopped = true };
    },
  };
  return { host, state, tick: () => tick!() };
}

const policy = {
  ...DEFAULT_IDLE_COLLECTION,
  idleSamples: 2,
  growthRatio: 0.5,
  minGrowthMb: 32,
  youngFraction: 0.25,
};

describe("createIdleCollector", () => {
  it("collects once the loop has been idle for idleSamples and the old generation grew enough", () => {
    const { host, state, tick } = fakeHost(100);
    const collector = createIdleCollector(host, policy);
    state.oldMb = 149; // growth 49 < 50 (half of 100)
    tick();
    tick();
    expect(state.collections).toBe(0);
    state.oldMb = 150;
    tick(); // third idle sample in a row
    expect(state.collections).toBe(1);
    expect(collector.collections).toBe(1);
    // The count starts again from what the collection left, and so do the idle samples.
    state.oldMb = 140;
    tick();
    tick();
    expect(state.collections).toBe(1);
    state.oldMb = 150;
    tick();
    expect(state.collections).toBe(2);
  });

  it("does not collect while the loop is busy, and needs idleSamples quiet ones in a row after", () => {
    const { host, state, tick } = fakeHost(100);
    createIdleCollector(host, policy);
    state.oldMb = 300;
    state.utilization = 0.9;
    for (let i = 0; i < 5; i++) tick();
    expect(state.collections).toBe(0);
    state.utilization = 0.05;
    tick();
    state.utilization = 0.5; // one busy sample resets the count
    tick();
    state.utilization = 0;
    tick();
    expect(state.collections).toBe(0);
    tick();
    expect(state.collections).toBe(1);
  });

  it("never collects while the owner says it is busy (a push waiting for its quiet period)", () => {
    const { host, state, tick } = fakeHost(100);
    let pushPending = true;
    createIdleCollector(host, policy, () => pushPending);
    state.oldMb = 300;
    for (let i = 0; i < 5; i++) tick();
    expect(state.collections).toBe(0);
    pushPending = false;
    tick();
    tick();
    expect(state.collections).toBe(1);
  });

  it("needs minGrowthMb on a small heap, and learns the live size from V8's own collections", () => {
    const { host, state, tick } = fakeHost(10);
    createIdleCollector(host, policy);
    state.oldMb = 41; // 31 MB: over half of 10, under the 32 MB minimum
    tick();
    tick();
    expect(state.collections).toBe(0);
    state.oldMb = 6; // V8 collected by itself: 6 MB is live
    tick();
    state.oldMb = 38; // 32 MB over 6
    tick();
    expect(state.collections).toBe(1);
  });

  it("runs a young-generation GC instead when the young generation is full enough and no full GC is due", () => {
    const { host, state, tick } = fakeHost(100);
    const collector = createIdleCollector(host, policy);
    state.youngMb = 15; // under a quarter of 64
    tick();
    tick();
    expect(state.youngCollections).toBe(0);
    state.youngMb = 16;
    tick();
    expect(state.youngCollections).toBe(1);
    expect(collector.youngCollections).toBe(1);
    // Both due: the full GC, which empties the young generation too.
    state.youngMb = 30;
    state.oldMb = 200;
    tick();
    tick();
    expect([state.collections, state.youngCollections]).toEqual([1, 1]);
    // Never while busy.
    state.youngMb = 30;
    state.utilization = 1;
    for (let i = 0; i < 4; i++) tick();
    expect(state.youngCollections).toBe(1);
  });

  it("runs the full GC in the same idle spell when the young-generation GC's promotions make it due", () => {
    const { host, state, tick } = fakeHost(100);
    host.collectYoung = () => {
      state.youngCollections++;
      state.youngMb = 4;
      state.oldMb += 10; // promoted
    };
    createIdleCollector(host, policy);
    state.oldMb = 145; // 5 MB short of due
    state.youngMb = 30;
    tick();
    tick();
    expect([state.youngCollections, state.collections]).toEqual([1, 1]);
  });

  it("stops sampling when stopped", () => {
    const { host, state } = fakeHost(10);
    createIdleCollector(host, policy).stop();
    expect(state.stopped).toBe(true);
  });
});

describe("nodeIdleCollectorHost", () => {
  it("runs a real full GC that frees the old generation's garbage", async () => {
    const host = nodeIdleCollectorHost();
    const majors: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
          majors.push(entry.startTime);
        }
      }
    });
    observer.observe({ entryTypes: ["gc"] });
    try {
      // ~40 MB that outlives young-generation GCs (so it is in the old generation), then is let go.
      let keep: number[][] | undefined = [];
      for (let i = 0; i < 40; i++) keep.push(Array.from({ length: 128 * 1024 }, (_, j) => j + 0.5));
      for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 10));
      const before = host.oldGenerationMb();
      expect(before).toBeGreaterThan(30);
      keep = undefined;
      host.collect();
      expect(host.oldGenerationMb()).toBeLessThan(before - 25);
      await new Promise((r) => setTimeout(r, 20)); // gc entries are delivered asynchronously
      expect(majors.length).toBeGreaterThan(0);
      const young = host.youngGeneration();
      expect(young.capacityMb).toBeGreaterThan(0);
      expect(young.usedMb).toBeLessThanOrEqual(young.capacityMb);
      host.collectYoung();
      // A quiet loop reads as idle.
      host.utilization();
      await new Promise((r) => setTimeout(r, 50));
      expect(host.utilization()).toBeLessThan(0.5);
    } finally {
      observer.disconnect();
    }
  });
});
