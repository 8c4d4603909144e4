// Stat selection and approximate histogram quantiles behind /stats.
import { describe, expect, it } from "vitest";
import { histogramQuantile, parseStatsQuery, selectStats } from "../../../proxy/admin/stats-format.ts";
import { createStatsStore, recordValue } from "../../../proxy/stats/stats-store.ts";

describe("histogramQuantile", () => {
  it("interpolates inside the bucket holding the rank", () => {
    const h = createStatsStore().histogram("h");
    for (const v of [6, 7, 8, 9]) recordValue(h, v); // all in (5, 10]
    expect(histogramQuantile(h, 0)).toBe(5);
    expect(histogramQuantile(h, 0.5)).toBe(7.5);
    expect(histogramQuantile(h, 1)).toBe(10);
  });

  it("is NaN when empty and clamps overflow samples to the last bound", () => {
    const h = createStatsStore().histogram("h");
    expect(histogramQuantile(h, 0.5)).toBeNaN();
    recordValue(h, 1e9);
    expect(histogramQuantile(h, 0.99)).toBe(h.bounds[h.bounds.length - 1]);
  });
});

describe("selectStats", () => {
  it("selects by type and usage, sorted by name", () => {
    const store = createStatsStore();
    store.counter("b.c").value = 1;
    store.counter("a.c").value = 0;
    store.gauge("a.g").value = 2;
    store.histogram("a.h");
    const names = (q: Record<string, string>) => {
      const query = parseStatsQuery((k) => q[k]);
      if (typeof query === "string") throw new Error(query);
      return selectStats(store, query).map((s) => s.name);
    };
    expect(names({})).toEqual(["a.c", "a.g", "a.h", "b.c"]);
    expect(names({ usedonly: "" })).toEqual(["a.g", "b.c"]);
    expect(names({ type: "Counters" })).toEqual(["a.c", "b.c"]);
    expect(parseStatsQuery((k) => (k === "type" ? "Timers" : undefined))).toMatch(/invalid type/);
  });
});
