// Selects stats for the admin endpoints and renders them as Envoy's /stats text and JSON.
import type { Histogram, StatsStore } from "../stats/stats-store.ts";
import { createFamilyCollector, formatExposition } from "./prometheus-exposition.ts";
import { type StatNameOptions, toPrometheusName } from "./prometheus.ts";

export type StatKind = "counter" | "gauge" | "histogram";

export interface SelectedStat {
  readonly name: string;
  readonly kind: StatKind;
  readonly value: number;
  readonly histogram?: Histogram;
}

export interface StatsQuery {
  /** Matched anywhere in the stat name (like Envoy's `filter`). */
  readonly filter?: RegExp;
  /** Only stats that have been written: non-zero counters and gauges, histograms with samples. */
  readonly usedOnly?: boolean;
  /** Envoy's `type=Counters|Gauges|Histograms`; all when absent. */
  readonly kinds?: ReadonlySet<StatKind>;
}

/** Envoy's supported quantiles (percent). */
export const SUPPORTED_QUANTILES: readonly number[] = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100];

const TYPE_PARAM: Readonly<Record<string, StatKind>> = {
  Counters: "counter",
  Gauges: "gauge",
  Histograms: "histogram",
};

/** Parses `filter`, `usedonly` and `type` query parameters; an error message on bad input. */
export function parseStatsQuery(get: (name: string) => string | undefined): StatsQuery | string {
  const filterText = get("filter");
  let filter: RegExp | undefined;
  if (filterText) {
    try {
      filter = new RegExp(filterText);
    } catch {
      return `Invalid regex: "${filterText}"`;
    }
  }
  const type = get("type");
  let kinds: Set<StatKind> | undefined;
  if (type !== undefined && type !== "All") {
    const kind = TYPE_PARAM[type];
    if (!kind) return `invalid type "${type}": use All, Counters, Gauges or Histograms`;
    kinds = new Set([kind]);
  }
  return { filter, usedOnly: get("usedonly") !== undefined, kinds };
}

/** Stats matching the query, sorted by name. */
export function selectStats(store: StatsStore, query: StatsQuery = {}): SelectedStat[] {
  const out: SelectedStat[] = [];
  const want = (kind: StatKind, name: string, used: boolean) =>
    (!query.kinds || query.kinds.has(kind)) && (!query.usedOnly || used) &&
    (!query.filter || query.filter.test(name));
  for (const [name, c] of store.counters()) {
    if (want("counter", name, c.value !== 0)) out.push({ name, kind: "counter", value: c.value });
  }
  for (const [name, g] of store.gauges()) {
    if (want("gauge", name, g.value !== 0)) out.push({ name, kind: "gauge", value: g.value });
  }
  for (const [name, h] of store.histograms()) {
    if (want("histogram", name, h.count > 0)) {
      out.push({ name, kind: "histogram", value: h.count, histogram: h });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Approximate quantile (q in 0..1) of a bucketed histogram, interpolating linearly inside the bucket
 * that holds the rank; samples above the last bound are reported as the last bound. NaN when empty.
 */
export function histogramQuantile(h: Histogram, q: number): number {
  if (h.count === 0) return NaN;
  const rank = Math.min(1, Math.max(0, q)) * h.count;
  let before = 0;
  for (let i = 0; i < h.buckets.length; i++) {
    const inBucket = h.buckets[i];
    if (inBucket === 0) continue;
    if (before + inBucket >= rank) {
      const lower = i === 0 ? 0 : h.bounds[i - 1];
      if (i >= h.bounds.length) return lower;
      return lower + (h.bounds[i] - lower) * Math.max(0, rank - before) / inBucket;
    }
    before += inBucket;
  }
  return h.bounds[h.bounds.length - 1];
}

/** Envoy's text format: `name: value`, histograms as `name: P0(nan,x) P25(nan,y) …`. */
export function formatStatsText(stats: readonly SelectedStat[]): string {
  const lines = stats.map((s) => {
    if (!s.histogram) return `${s.name}: ${s.value}`;
    if (s.histogram.count === 0) return `${s.name}: No recorded values`;
    const h = s.histogram;
    return `${s.name}: ${
      SUPPORTED_QUANTILES.map((p) => `P${p}(nan,${round(histogramQuantile(h, p / 100))})`).join(" ")
    }`;
  });
  return lines.length ? lines.join("\n") + "\n" : "";
}

/** Envoy's JSON format: scalars as `{ name, value }`, histograms in one trailing `{ histograms }` entry. */
export function formatStatsJson(stats: readonly SelectedStat[]): { stats: unknown[] } {
  const scalars: unknown[] = [];
  const computed: unknown[] = [];
  for (const s of stats) {
    if (!s.histogram) {
      scalars.push({ name: s.name, value: s.value });
      continue;
    }
    const h = s.histogram;
    computed.push({
      name: s.name,
      values: SUPPORTED_QUANTILES.map((p) => ({
        interval: null,
        cumulative: h.count === 0 ? null : round(histogramQuantile(h, p / 100)),
      })),
    });
  }
  if (computed.length) {
    scalars.push({ histograms: { supported_quantiles: SUPPORTED_QUANTILES, computed_quantiles: computed } });
  }
  return { stats: scalars };
}

/** The selected stats as Prometheus exposition text, names and labels by Envoy's tag extraction. */
export function formatStatsPrometheus(stats: readonly SelectedStat[], names: StatNameOptions = {}): string {
  const collector = createFamilyCollector();
  for (const s of stats) {
    const name = toPrometheusName(s.name, names);
    if (s.histogram) collector.add(name, "histogram", { histogram: s.histogram });
    else collector.add(name, s.kind, { value: s.value });
  }
  return formatExposition(collector.families());
}

function round(value: number): number {
  return Number(value.toPrecision(6));
}
