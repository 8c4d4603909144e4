// Envoy-style stats: counters, gauges and histograms by dotted name, resolved once and bumped on the hot path.
export interface Counter {
  value: number;
}
export interface Gauge {
  value: number;
}
/** Latency histogram in milliseconds with fixed Envoy-like bucket bounds. */
export interface Histogram {
  readonly bounds: readonly number[];
  readonly buckets: number[];
  count: number;
  sum: number;
}

export const HISTOGRAM_BOUNDS_MS: readonly number[] = [
  0.5,
  1,
  5,
  10,
  25,
  50,
  100,
  250,
  500,
  1000,
  2500,
  5000,
  10000,
  30000,
  60000,
  300000,
  600000,
  1800000,
  3600000,
];

export interface StatsStore {
  counter(name: string): Counter;
  gauge(name: string): Gauge;
  histogram(name: string): Histogram;
  counters(): IterableIterator<[string, Counter]>;
  gauges(): IterableIterator<[string, Gauge]>;
  histograms(): IterableIterator<[string, Histogram]>;
}

export function createStatsStore(): StatsStore {
  const counters = new Map<string, Counter>();
  const gauges = new Map<string, Gauge>();
  const histograms = new Map<string, Histogram>();
  return {
    counter(name) {
      let c = counters.get(name);
      if (!c) counters.set(name, c = { value: 0 });
      return c;
    },
    gauge(name) {
      let g = gauges.get(name);
      if (!g) gauges.set(name, g = { value: 0 });
      return g;
    },
    histogram(name) {
      let h = histograms.get(name);
      if (!h) {
        histograms.set(
          name,
          h = {
            bounds: HISTOGRAM_BOUNDS_MS,
            buckets: new Array(HISTOGRAM_BOUNDS_MS.length + 1).fill(0),
            count: 0,
            sum: 0,
          },
        );
      }
      return h;
    },
    counters: () => counters.entries(),
    gauges: () => gauges.entries(),
    histograms: () => histograms.entries(),
  };
}

export function recordValue(h: Histogram, value: number): void {
  h.count++;
  h.sum += value;
  const bounds = h.bounds;
  let i = 0;
  while (i < bounds.length && value > bounds[i]) i++;
  h.buckets[i]++;
}

/**
 * Declares a component's stats once as a list of names under a prefix (Envoy's pattern), returning
 * an object of resolved counters: `declareCounters(store, "cluster.web.", ["upstream_rq_total"] as const)`.
 */
export function declareCounters<const N extends readonly string[]>(
  store: StatsStore,
  prefix: string,
  names: N,
): { [K in N[number]]: Counter } {
  const out = {} as Record<string, Counter>;
  for (const name of names) out[name] = store.counter(prefix + name);
  return out as { [K in N[number]]: Counter };
}
