// Envoy-style tag extraction and the /stats/prometheus exposition, parsed back line by line.
import { describe, expect, it } from "vitest";
import { escapeLabelValue, sanitizeMetricName, toPrometheusName } from "../../../proxy/admin/prometheus.ts";
import { createAdminApp } from "../../../proxy/admin/admin-app.ts";
import { recordValue } from "../../../proxy/stats/stats-store.ts";
import { fakeCluster, fakeControls, fakeHost, fakeProxy } from "./fake-proxy.ts";

const ISTIO_CLUSTER = "outbound|9080|v1|reviews.default.svc.cluster.local";

describe("toPrometheusName", () => {
  it("extracts cluster, http, listener and tcp scope names into labels", () => {
    expect(toPrometheusName("cluster.web.upstream_rq_total")).toEqual({
      family: "envoy_cluster_upstream_rq_total",
      labels: [["envoy_cluster_name", "web"]],
    });
    expect(toPrometheusName(`cluster.${ISTIO_CLUSTER}.upstream_cx_total`).labels).toEqual([
      ["envoy_cluster_name", ISTIO_CLUSTER],
    ]);
    expect(toPrometheusName("http.inbound_0.0.0.0_9080.downstream_rq_active")).toEqual({
      family: "envoy_http_downstream_rq_active",
      labels: [["envoy_http_conn_manager_prefix", "inbound_0.0.0.0_9080"]],
    });
    expect(toPrometheusName("http.ingress.response_flags.UH")).toEqual({
      family: "envoy_http_response_flags",
      labels: [["envoy_http_conn_manager_prefix", "ingress"], ["response_flags", "UH"]],
    });
    expect(toPrometheusName("listener.0.0.0.0_15006.downstream_cx_total")).toEqual({
      family: "envoy_listener_downstream_cx_total",
      labels: [["envoy_listener_address", "0.0.0.0_15006"]],
    });
    expect(toPrometheusName("tcp.mysql.downstream_cx_total")).toEqual({
      family: "envoy_tcp_downstream_cx_total",
      labels: [["envoy_tcp_prefix", "mysql"]],
    });
  });

  it("extracts response code classes and codes like Envoy", () => {
    expect(toPrometheusName("cluster.web.upstream_rq_5xx")).toEqual({
      family: "envoy_cluster_upstream_rq_xx",
      labels: [["envoy_response_code_class", "5"], ["envoy_cluster_name", "web"]],
    });
    expect(toPrometheusName("cluster.web.upstream_rq_503")).toEqual({
      family: "envoy_cluster_upstream_rq",
      labels: [["envoy_response_code", "503"], ["envoy_cluster_name", "web"]],
    });
  });

  it("keeps multi-segment stats after a marker and prefers known names", () => {
    expect(toPrometheusName("cluster.a.b.circuit_breakers.default.rq_open")).toEqual({
      family: "envoy_cluster_circuit_breakers_default_rq_open",
      labels: [["envoy_cluster_name", "a.b"]],
    });
    expect(toPrometheusName("cluster.a.b.c.d", { knownNames: { cluster: ["a", "a.b"] } })).toEqual({
      family: "envoy_cluster_c_d",
      labels: [["envoy_cluster_name", "a.b"]],
    });
  });

  it("leaves unscoped names untagged and sanitizes them", () => {
    expect(toPrometheusName("server.uptime")).toEqual({ family: "envoy_server_uptime", labels: [] });
    expect(toPrometheusName("cluster_manager.cds.update-ok").family).toBe(
      "envoy_cluster_manager_cds_update_ok",
    );
    expect(sanitizeMetricName("9lives.x")).toBe("_9lives_x");
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
});

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** A strict little parser for the text format: returns TYPE declarations and samples in order. */
function parseExposition(text: string): { types: [string, string][]; samples: Sample[]; order: string[] } {
  expect(text.endsWith("\n")).toBe(true);
  const types: [string, string][] = [];
  const samples: Sample[] = [];
  const order: string[] = [];
  for (const line of text.slice(0, -1).split("\n")) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/.exec(line);
    if (type) {
      types.push([type[1], type[2]]);
      order.push(type[1]);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? "";
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/g;
    let consumed = 0;
    for (let l = re.exec(body); l; l = re.exec(body)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch));
      consumed += l[0].length;
    }
    expect(consumed, line).toBe(body.length);
    samples.push({ name: m[1], labels, value: m[3] === "+Inf" ? Infinity : Number(m[3]) });
    order.push(m[1]);
  }
  return { types, samples, order };
}

describe("/stats/prometheus", () => {
  const weird = 'we"ird\\name';
  function scrape() {
    const proxy = fakeProxy([
      fakeCluster(ISTIO_CLUSTER, [fakeHost("10.0.0.1", 9080)]),
      fakeCluster(weird, []),
    ]);
    const s = proxy.stats;
    s.counter(`cluster.${ISTIO_CLUSTER}.upstream_rq_total`).value = 10;
    s.counter(`cluster.${ISTIO_CLUSTER}.upstream_rq_2xx`).value = 9;
    s.counter(`cluster.${ISTIO_CLUSTER}.upstream_rq_5xx`).value = 1;
    s.counter(`cluster.${weird}.upstream_rq_total`).value = 2;
    s.gauge(`cluster.${ISTIO_CLUSTER}.membership_healthy`).value = 1;
    s.counter("http.inbound_0.0.0.0_9080.response_flags.UH").value = 4;
    s.counter("http.inbound_0.0.0.0_9080.response_flags.URX").value = 1;
    s.counter("http.inbound_0.0.0.0_9080.downstream_rq_total").value = 12;
    s.gauge("listener.0.0.0.0_15006.downstream_cx_active").value = 2;
    s.counter("tcp.mysql.downstream_cx_total").value = 3;
    const recorded = [0.2, 0.7, 3, 3, 12, 75, 75, 480, 9000, 4_000_000];
    for (const v of recorded) recordValue(s.histogram("http.inbound_0.0.0.0_9080.downstream_rq_time"), v);
    recordValue(s.histogram("http.outbound.downstream_rq_time"), 1);
    return { app: createAdminApp(proxy, fakeControls()), recorded };
  }

  it("uses the 0.0.4 content type and declares each family's type exactly once, series grouped", async () => {
    const { app } = scrape();
    const res = await app.request("/stats/prometheus");
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const { types, samples, order } = parseExposition(await res.text());
    const declared = new Map<string, string>();
    for (const [name, type] of types) {
      expect(declared.has(name), `TYPE ${name} repeated`).toBe(false);
      declared.set(name, type);
    }
    const familyOf = (sample: string) => {
      if (declared.has(sample)) return sample;
      const base = sample.replace(/_(bucket|sum|count)$/, "");
      expect(declared.get(base), sample).toBe("histogram");
      return base;
    };
    for (const sample of samples) familyOf(sample.name);
    // Once a family's block ends, the family never appears again.
    const closed = new Set<string>();
    let current = "";
    for (const name of order) {
      const family = familyOf(name);
      if (family !== current) {
        expect(closed.has(family), `${family} split`).toBe(false);
        if (current) closed.add(current);
        current = family;
      }
    }
    expect(declared.get("envoy_cluster_upstream_rq_total")).toBe("counter");
    expect(declared.get("envoy_cluster_membership_healthy")).toBe("gauge");
    expect(declared.get("envoy_http_downstream_rq_time")).toBe("histogram");
  });

  it("extracts labels and escapes label values", async () => {
    const { app } = scrape();
    const { samples } = parseExposition(await (await app.request("/stats/prometheus")).text());
    const find = (name: string, labels: Record<string, string>) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    expect(find("envoy_cluster_upstream_rq_total", { envoy_cluster_name: ISTIO_CLUSTER })[0].value).toBe(10);
    expect(find("envoy_cluster_upstream_rq_total", { envoy_cluster_name: weird })[0].value).toBe(2);
    expect(
      find("envoy_cluster_upstream_rq_xx", {
        envoy_cluster_name: ISTIO_CLUSTER,
        envoy_response_code_class: "5",
      })[0].value,
    )
      .toBe(1);
    const prefix = { envoy_http_conn_manager_prefix: "inbound_0.0.0.0_9080" };
    expect(find("envoy_http_response_flags", { ...prefix, response_flags: "UH" })[0].value).toBe(4);
    expect(find("envoy_http_response_flags", { ...prefix, response_flags: "URX" })[0].value).toBe(1);
    expect(find("envoy_http_downstream_rq_total", prefix)[0].value).toBe(12);
    expect(find("envoy_listener_downstream_cx_active", { envoy_listener_address: "0.0.0.0_15006" })[0].value)
      .toBe(2);
    expect(find("envoy_tcp_downstream_cx_total", { envoy_tcp_prefix: "mysql" })[0].value).toBe(3);
  });

  it("writes histograms as cumulative, monotonic buckets ending in +Inf with _sum and _count", async () => {
    const { app, recorded } = scrape();
    const { samples } = parseExposition(await (await app.request("/stats/prometheus")).text());
    const prefix = "inbound_0.0.0.0_9080";
    const mine = (name: string) =>
      samples.filter((s) => s.name === name && s.labels.envoy_http_conn_manager_prefix === prefix);
    const buckets = mine("envoy_http_downstream_rq_time_bucket");
    const les = buckets.map((b) => (b.labels.le === "+Inf" ? Infinity : Number(b.labels.le)));
    expect(les.at(-1)).toBe(Infinity);
    for (let i = 1; i < buckets.length; i++) {
      expect(les[i]).toBeGreaterThan(les[i - 1]);
      expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
    }
    const at = (le: string) => buckets.find((b) => b.labels.le === le)!.value;
    expect(at("0.5")).toBe(1);
    expect(at("1")).toBe(2);
    expect(at("5")).toBe(4);
    expect(at("100")).toBe(7);
    expect(at("3600000")).toBe(9);
    expect(at("+Inf")).toBe(recorded.length);
    expect(mine("envoy_http_downstream_rq_time_count")[0].value).toBe(recorded.length);
    expect(mine("envoy_http_downstream_rq_time_sum")[0].value).toBeCloseTo(
      recorded.reduce((a, b) => a + b, 0),
    );
  });

  it("applies ?filter to stat names and is reachable as /stats?format=prometheus", async () => {
    const { app } = scrape();
    const text = await (await app.request("/stats?format=prometheus&filter=^tcp\\.")).text();
    expect(text).toBe(
      '# TYPE envoy_tcp_downstream_cx_total counter\nenvoy_tcp_downstream_cx_total{envoy_tcp_prefix="mysql"} 3\n',
    );
  });
});
