// The admin API end to end through Hono's in-process request: state transitions, clusters, stats, methods.
import { describe, expect, it } from "vitest";
import { createAdminApp } from "../../../proxy/admin/admin-app.ts";
import { recordValue } from "../../../proxy/stats/stats-store.ts";
import { fakeCluster, fakeControls, fakeHost, fakeProxy } from "./fake-proxy.ts";

function setup() {
  const web = fakeCluster("web", [
    fakeHost("10.0.0.1", 8080, { weight: 3, active: 2 }),
    fakeHost("10.0.0.2", 8080, { healthy: false }),
  ], 100);
  const v6 = fakeCluster("v6", [fakeHost("::1", 9090)]);
  const proxy = fakeProxy([web, v6]);
  const controls = fakeControls(1_000_000 + 42_500);
  return { proxy, controls, app: createAdminApp(proxy, controls) };
}

const post = { method: "POST" };

describe("readiness and server state", () => {
  it("is LIVE until health checks fail, and /healthcheck/ok restores it", async () => {
    const { app } = setup();
    let res = await app.request("/ready");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("LIVE\n");
    expect((await app.request("/healthcheck/fail", post)).status).toBe(200);
    res = await app.request("/ready");
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("DRAINING\n");
    expect((await (await app.request("/server_info")).json()).state).toBe("DRAINING");
    await app.request("/healthcheck/ok", post);
    expect((await app.request("/ready")).status).toBe(200);
  });

  it("drain_listeners calls the runtime and stays DRAINING even after /healthcheck/ok", async () => {
    const { app, controls } = setup();
    const res = await app.request("/drain_listeners?graceful", post);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("OK\n");
    expect(controls.drains).toEqual([{ graceful: true, inboundOnly: false }]);
    expect((await app.request("/ready")).status).toBe(503);
    await app.request("/healthcheck/ok", post);
    expect(await (await app.request("/ready")).text()).toBe("DRAINING\n");
  });

  it("server_info reports version, state, uptime and node", async () => {
    const { app } = setup();
    const res = await app.request("/server_info");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      version: "weft/0.1.0",
      state: "LIVE",
      uptime_current_epoch: "42s",
      uptime_all_epochs: "42s",
      node: { id: "sidecar~10.0.0.1~web-1.default~default.svc.cluster.local", cluster: "web" },
      command_line_options: {},
    });
  });

  it("config_dump serves the caller's JSON", async () => {
    const { app } = setup();
    const res = await app.request("/config_dump");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect((await res.json()).configs[0]["@type"]).toBe(
      "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",
    );
  });
});

describe("/clusters", () => {
  it("prints one line per fact in Envoy's text format", async () => {
    const { app } = setup();
    const lines = (await (await app.request("/clusters")).text()).trimEnd().split("\n");
    expect(lines).toContain("web::default_priority::max_requests::100");
    expect(lines).toContain("web::10.0.0.1:8080::health_flags::healthy");
    expect(lines).toContain("web::10.0.0.1:8080::weight::3");
    expect(lines).toContain("web::10.0.0.1:8080::rq_active::2");
    expect(lines).toContain("web::10.0.0.2:8080::health_flags::/failed_eds_health");
    expect(lines).toContain("v6::[::1]:9090::health_flags::healthy");
    expect(lines.every((l) => l.startsWith("web::") || l.startsWith("v6::"))).toBe(true);
  });

  it("gives ClusterStatuses with ?format=json", async () => {
    const { app } = setup();
    const body = await (await app.request("/clusters?format=json")).json();
    expect(body.cluster_statuses.map((c: { name: string }) => c.name)).toEqual(["web", "v6"]);
    const [healthy, unhealthy] = body.cluster_statuses[0].host_statuses;
    expect(healthy).toMatchObject({
      address: { socket_address: { address: "10.0.0.1", port_value: 8080 } },
      health_status: { eds_health_status: "HEALTHY" },
      weight: 3,
    });
    expect(healthy.stats).toContainEqual(expect.objectContaining({ name: "rq_active", value: 2 }));
    expect(unhealthy.health_status.eds_health_status).toBe("UNHEALTHY");
  });
});

describe("/stats", () => {
  function withStats() {
    const s = setup();
    s.proxy.stats.counter("cluster.web.upstream_rq_total").value = 7;
    s.proxy.stats.counter("cluster.web.upstream_rq_retry").value = 0;
    s.proxy.stats.gauge("http.ingress.downstream_rq_active").value = 3;
    const h = s.proxy.stats.histogram("http.ingress.downstream_rq_time");
    for (const v of [2, 3, 4, 20, 20, 40, 80, 90, 200, 2000]) recordValue(h, v);
    return s;
  }

  it("lists counters, gauges and histogram quantiles sorted by name", async () => {
    const { app } = withStats();
    const lines = (await (await app.request("/stats")).text()).trimEnd().split("\n");
    expect(lines.map((l) => l.split(":")[0])).toEqual([
      "cluster.web.upstream_rq_retry",
      "cluster.web.upstream_rq_total",
      "http.ingress.downstream_rq_active",
      "http.ingress.downstream_rq_time",
    ]);
    expect(lines).toContain("cluster.web.upstream_rq_total: 7");
    const histogram = lines[3];
    expect(histogram).toMatch(/^http\.ingress\.downstream_rq_time: P0\(nan,1\) P25\(/);
    expect(histogram).toContain("P50(nan,25)");
    expect(histogram).toContain("P100(nan,2500)");
  });

  it("filters by regex, by use, and answers 400 on a bad regex", async () => {
    const { app } = withStats();
    expect(await (await app.request("/stats?filter=upstream_rq_t")).text()).toBe(
      "cluster.web.upstream_rq_total: 7\n",
    );
    const used = await (await app.request("/stats?usedonly&filter=^cluster")).text();
    expect(used).toBe("cluster.web.upstream_rq_total: 7\n");
    const bad = await app.request("/stats?filter=(");
    expect(bad.status).toBe(400);
  });

  it("gives { stats: [{ name, value }] } with ?format=json", async () => {
    const { app } = withStats();
    const body = await (await app.request("/stats?format=json&filter=rq_(total|active)")).json();
    expect(body).toEqual({
      stats: [
        { name: "cluster.web.upstream_rq_total", value: 7 },
        { name: "http.ingress.downstream_rq_active", value: 3 },
      ],
    });
    const withHist = await (await app.request("/stats?format=json&filter=rq_time")).json();
    const computed = withHist.stats[0].histograms.computed_quantiles[0];
    expect(computed.name).toBe("http.ingress.downstream_rq_time");
    expect(computed.values).toHaveLength(withHist.stats[0].histograms.supported_quantiles.length);
  });
});

describe("methods and process control", () => {
  it("answers 405 to GET on POST-only endpoints, telling to use POST", async () => {
    const { app, controls } = setup();
    for (const path of ["/quitquitquit", "/drain_listeners", "/healthcheck/fail", "/healthcheck/ok"]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(405);
      expect(await res.text()).toContain("POST required");
    }
    expect(controls.quits).toBe(0);
    expect(controls.drains).toEqual([]);
    expect((await app.request("/ready")).status).toBe(200);
  });

  it("quitquitquit responds OK first and calls quit exactly once", async () => {
    const { app, controls } = setup();
    const res = await app.request("/quitquitquit", post);
    expect(await res.text()).toBe("OK\n");
    expect(controls.quits).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    expect(controls.quits).toBe(1);
    await app.request("/quitquitquit", post);
    await new Promise((r) => setTimeout(r, 5));
    expect(controls.quits).toBe(1);
  });

  it("reads and sets the log level, rejecting unknown levels with the valid ones", async () => {
    const { app, controls } = setup();
    expect(await (await app.request("/logging")).text()).toContain("weft: info");
    const ok = await app.request("/logging?level=debug", post);
    expect(ok.status).toBe(200);
    expect(controls.level).toBe("debug");
    expect(await (await app.request("/logging")).text()).toContain("weft: debug");
    const bad = await app.request("/logging?level=loud", post);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("trace, debug, info, warning, error, critical, off");
    expect(controls.level).toBe("debug");
  });

  it("serves an index at / and 404s unknown paths with it", async () => {
    const { app } = setup();
    const index = await (await app.request("/")).text();
    for (const path of ["/ready", "/clusters", "/stats/prometheus", "/quitquitquit"]) {
      expect(index).toContain(path);
    }
    const res = await app.request("/nope");
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("/server_info");
  });
});
