// xDS server metrics, declared once as a list and rendered in Prometheus text with Istio pilot's names.
import { WeftError } from "../../proxy/errors.ts";

export interface MetricDef {
  readonly name: string;
  readonly kind: "counter" | "gauge" | "histogram";
  readonly help: string;
  /** Histogram bucket upper bounds (seconds). */
  readonly buckets?: readonly number[];
}

export const XDS_METRICS = [
  { name: "pilot_xds", kind: "gauge", help: "Number of endpoints connected to this pilot using XDS." },
  {
    name: "pilot_xds_pushes",
    kind: "counter",
    help: "Pilot build and send errors for lds, rds, cds and eds.",
  },
  {
    name: "pilot_total_xds_rejects",
    kind: "counter",
    help: "Total number of XDS responses from pilot rejected by proxy.",
  },
  {
    name: "pilot_proxy_convergence_time",
    kind: "histogram",
    help: "Delay in seconds between config change and a proxy receiving all required configuration.",
    buckets: [0.1, 0.5, 1, 3, 5, 10, 20, 30],
  },
  {
    name: "pilot_xds_push_time",
    kind: "histogram",
    help: "Total time in seconds Pilot takes to push lds, rds, cds and eds.",
    buckets: [0.01, 0.1, 1, 3, 5, 10, 20, 30],
  },
  {
    name: "weft_xds_inconsistent_snapshots",
    kind: "counter",
    help: "Snapshots not published because a referenced resource was missing.",
  },
] as const satisfies readonly MetricDef[];

export type XdsMetricName = (typeof XDS_METRICS)[number]["name"];
export type Labels = Readonly<Record<string, string>>;

export interface Metrics {
  inc(name: XdsMetricName, labels?: Labels, by?: number): void;
  set(name: XdsMetricName, value: number, labels?: Labels): void;
  observe(name: XdsMetricName, value: number, labels?: Labels): void;
  /** Current counter/gauge value, or a histogram's count (for tests and status pages). */
  value(name: XdsMetricName, labels?: Labels): number;
  /** Prometheus text exposition format 0.0.4. */
  render(): string;
}

interface Series {
  readonly labels: Labels;
  value: number;
  sum: number;
  readonly counts: number[];
}

function labelKey(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(",");
}

function escape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.keys(labels).sort().map((k) => `${k}="${escape(labels[k])}"`);
  if (extra) pairs.push(`${extra[0]}="${escape(extra[1])}"`);
  return pairs.length ? `{${pairs.join(",")}}` : "";
}

export function createMetrics(defs: readonly MetricDef[] = XDS_METRICS): Metrics {
  const byName = new Map(defs.map((d) => [d.name, { def: d, series: new Map<string, Series>() }]));
  function series(name: string, labels: Labels): Series {
    const entry = byName.get(name);
    if (!entry) throw new WeftError("internal", `undeclared metric ${name}`);
    const key = labelKey(labels);
    let s = entry.series.get(key);
    if (!s) {
      entry.series.set(
        key,
        s = {
          labels,
          value: 0,
          sum: 0,
          counts: (entry.def.buckets ?? []).map(() => 0),
        },
      );
    }
    return s;
  }
  return {
    inc(name, labels = {}, by = 1) {
      series(name, labels).value += by;
    },
    set(name, value, labels = {}) {
      series(name, labels).value = value;
    },
    observe(name, value, labels = {}) {
      const s = series(name, labels);
      const buckets = byName.get(name)!.def.buckets ?? [];
      s.value += 1;
      s.sum += value;
      buckets.forEach((le, i) => {
        if (value <= le) s.counts[i] += 1;
      });
    },
    value: (name, labels = {}) => byName.get(name)?.series.get(labelKey(labels))?.value ?? 0,
    render() {
      const lines: string[] = [];
      for (const { def, series: all } of byName.values()) {
        lines.push(`# HELP ${def.name} ${def.help}`, `# TYPE ${def.name} ${def.kind}`);
        for (const s of all.values()) {
          if (def.kind !== "histogram") {
            lines.push(`${def.name}${labelText(s.labels)} ${s.value}`);
            continue;
          }
          (def.buckets ?? []).forEach((le, i) => {
            lines.push(`${def.name}_bucket${labelText(s.labels, ["le", String(le)])} ${s.counts[i]}`);
          });
          lines.push(`${def.name}_bucket${labelText(s.labels, ["le", "+Inf"])} ${s.value}`);
          lines.push(
            `${def.name}_sum${labelText(s.labels)} ${s.sum}`,
            `${def.name}_count${labelText(s.labels)} ${s.value}`,
          );
        }
      }
      return lines.join("\n") + "\n";
    },
  };
}
