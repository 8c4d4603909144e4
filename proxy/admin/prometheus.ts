// Envoy-style tag extraction: a dotted stat name becomes a Prometheus metric family plus labels.

/** Label pairs in output order. */
export type Labels = readonly (readonly [name: string, value: string])[];

export interface PrometheusName {
  /** Sanitized metric family name, e.g. `envoy_cluster_upstream_rq_total`. */
  readonly family: string;
  readonly labels: Labels;
}

/**
 * Extracts the name of a scope (`cluster.<name>.…`) into a label. Scope names may themselves contain
 * dots (`outbound|9080||reviews.default.svc.cluster.local`, `inbound_0.0.0.0_9080`), so the name is
 * everything up to the stat, which is the last segment unless a `marker` segment starts it earlier.
 */
export interface TagRule {
  /** First segment of the stat name, e.g. "cluster". */
  readonly scope: string;
  /** Label that receives the scope's name, e.g. "envoy_cluster_name". */
  readonly label: string;
  /** Segments that begin a multi-segment stat (`circuit_breakers.default.rq_open`). */
  readonly markers?: readonly string[];
  /** Marker segments whose following segment is a label value: `response_flags.UH` → `response_flags="UH"`. */
  readonly valueTags?: Readonly<Record<string, string>>;
}

/** Envoy's default extraction for the scopes Weft emits. */
export const ENVOY_TAG_RULES: readonly TagRule[] = [
  {
    scope: "cluster",
    label: "envoy_cluster_name",
    markers: ["circuit_breakers", "outlier_detection", "health_check", "lb_subsets", "ssl", "grpc"],
  },
  {
    scope: "http",
    label: "envoy_http_conn_manager_prefix",
    markers: ["user_agent", "fault", "rbac", "jwt_authn", "ratelimit", "local_rate_limit"],
    valueTags: { response_flags: "response_flags" },
  },
  {
    scope: "listener",
    label: "envoy_listener_address",
    markers: ["http", "ssl", "server_ssl_socket_factory"],
  },
  { scope: "tcp", label: "envoy_tcp_prefix" },
];

export interface StatNameOptions {
  /** Prepended as `<namespace>_`; "envoy" by default, "" for none. */
  readonly namespace?: string;
  readonly rules?: readonly TagRule[];
  /** Scope names known to exist (e.g. cluster names), by scope; the longest match wins over the heuristic. */
  readonly knownNames?: Readonly<Record<string, Iterable<string>>>;
}

/** Maps an Envoy-style dotted stat name to its Prometheus family and labels. */
export function toPrometheusName(stat: string, options: StatNameOptions = {}): PrometheusName {
  const namespace = options.namespace ?? "envoy";
  const rules = options.rules ?? ENVOY_TAG_RULES;
  const segments = stat.split(".");
  const rule = segments.length >= 3 ? rules.find((r) => r.scope === segments[0]) : undefined;
  const scopeLabels: [string, string][] = [];
  let kept = segments;
  if (rule) {
    const nameLength = scopeNameLength(segments, rule, options.knownNames?.[rule.scope]);
    scopeLabels.push([rule.label, segments.slice(1, 1 + nameLength).join(".")]);
    kept = [segments[0], ...segments.slice(1 + nameLength)];
    for (let i = 1; i < kept.length - 1; i++) {
      const label = rule.valueTags?.[kept[i]];
      if (label !== undefined) {
        scopeLabels.push([label, kept.slice(i + 1).join(".")]);
        kept = kept.slice(0, i + 1);
        break;
      }
    }
  }
  const codeLabels: [string, string][] = [];
  let last = kept[kept.length - 1];
  const codeClass = /_rq_(\d)xx$/.exec(last);
  const code = /_rq_(\d{3})$/.exec(last);
  if (codeClass) {
    codeLabels.push(["envoy_response_code_class", codeClass[1]]);
    last = last.slice(0, codeClass.index) + "_rq_xx";
  } else if (code) {
    codeLabels.push(["envoy_response_code", code[1]]);
    last = last.slice(0, code.index) + "_rq";
  }
  const base = [...kept.slice(0, -1), last].join("_");
  return {
    family: sanitizeMetricName(namespace ? `${namespace}_${base}` : base),
    labels: [...codeLabels, ...scopeLabels],
  };
}

/** How many segments after the scope belong to the scope's name. */
function scopeNameLength(
  segments: readonly string[],
  rule: TagRule,
  known: Iterable<string> | undefined,
): number {
  const rest = segments.slice(1);
  if (known) {
    const joined = rest.join(".");
    let best = 0;
    for (const name of known) {
      if (name && joined.startsWith(name + ".") && name.length > best) best = name.length;
    }
    if (best > 0) return joined.slice(0, best).split(".").length;
  }
  for (let i = 1; i < rest.length - 1; i++) {
    if (rule.markers?.includes(rest[i]) || rule.valueTags?.[rest[i]] !== undefined) return i;
  }
  return rest.length - 1;
}

/** Replaces characters outside `[a-zA-Z0-9_:]`; a leading digit gets a `_` prefix. */
export function sanitizeMetricName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  return /^[0-9]/.test(clean) ? "_" + clean : clean;
}

/** Replaces characters outside `[a-zA-Z0-9_]`; a leading digit gets a `_` prefix. */
export function sanitizeLabelName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(clean) ? "_" + clean : clean;
}

/** Escapes a label value for the text exposition format (backslash, double quote, newline). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** `{a="1",b="2"}`, or "" for no labels. */
export function formatLabels(labels: Labels): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([k, v]) => `${sanitizeLabelName(k)}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/** A sample value as the exposition format spells it (`NaN`, `+Inf`, `-Inf`). */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
