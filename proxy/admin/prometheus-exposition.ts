// Renders metric families in the Prometheus text exposition format 0.0.4, one TYPE line per family.
import type { Histogram } from "../stats/stats-store.ts";
import { formatLabels, formatSampleValue, type Labels, type PrometheusName } from "./prometheus.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge" | "histogram";

/** One series: a scalar value, or a histogram (bucket bounds with per-bucket counts plus overflow). */
export type Series =
  | { readonly labels: Labels; readonly value: number }
  | { readonly labels: Labels; readonly histogram: Histogram };

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help?: string;
  readonly series: Series[];
}

/** Groups series into families by name; a name reused with another type gets a `_<type>` suffix. */
export function createFamilyCollector(): {
  add(name: PrometheusName, type: MetricType, series: Omit<Series, "labels">): void;
  families(): MetricFamily[];
} {
  const byName = new Map<string, MetricFamily>();
  return {
    add(name, type, data) {
      let key = name.family;
      const existing = byName.get(key);
      if (existing && existing.type !== type) key = `${key}_${type}`;
      let family = byName.get(key);
      if (!family) byName.set(key, family = { name: key, type, series: [] });
      family.series.push({ ...data, labels: name.labels } as Series);
    },
    families: () => [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

/** The exposition text: per family an optional HELP, one TYPE, then its series sorted by labels. */
export function formatExposition(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const family of families) {
    if (family.help !== undefined) out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    out.push(`# TYPE ${family.name} ${family.type}`);
    const series = family.series.map((s) => ({ s, key: formatLabels(s.labels) }));
    series.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { s } of series) {
      if ("histogram" in s) pushHistogram(out, family.name, s.labels, s.histogram);
      else out.push(`${family.name}${formatLabels(s.labels)} ${formatSampleValue(s.value)}`);
    }
  }
  return out.length ? out.join("\n") + "\n" : "";
}

function pushHistogram(out: string[], name: string, labels: Labels, h: Histogram): void {
  let cumulative = 0;
  for (const [i, bound] of h.bounds.entries()) {
    cumulative += h.buckets[i] ?? 0;
    out.push(`${name}_bucket${formatLabels([...labels, ["le", formatSampleValue(bound)]])} ${cumulative}`);
  }
  out.push(`${name}_bucket${formatLabels([...labels, ["le", "+Inf"]])} ${h.count}`);
  out.push(`${name}_sum${formatLabels(labels)} ${formatSampleValue(h.sum)}`);
  out.push(`${name}_count${formatLabels(labels)} ${h.count}`);
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
