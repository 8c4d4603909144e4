// Real-socket cluster selection with curl: weighted clusters (statistically), cluster_header, no route, unknown cluster.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  curl,
  httpBootstrap,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from "../support/harness.ts";
import { curlRaw } from "../support/raw-clients.ts";

const ROUTES = `
name: local
validate_clusters: false
virtual_hosts:
  - name: main
    domains: ["main.test"]
    routes:
      - match: { prefix: /split }
        route:
          weighted_clusters:
            clusters:
              - { name: heavy, weight: 70 }
              - { name: light, weight: 30 }
      - match: { prefix: /by-header }
        route: { cluster_header: x-target-cluster }
      - match: { prefix: /ghost }
        route: { cluster: no-such-cluster }
      - match: { prefix: /ok }
        route: { cluster: heavy }
`;

let heavy: Upstream;
let light: Upstream;
let proxy: TestProxy;
const log: string[] = [];

beforeAll(async () => {
  heavy = await startUpstream("heavy");
  light = await startUpstream("light");
  const clusters = staticCluster("heavy", [heavy.port]) + staticCluster("light", [light.port]);
  proxy = await startProxy(httpBootstrap({ routes: ROUTES, clusters }), { log });
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all([heavy?.close(), light?.close()]);
});

const url = (path: string) => `http://127.0.0.1:${proxy.port()}${path}`;

/** The access-log line of the request carrying this x-request-id. */
function logLine(requestId: string): string {
  const line = log.find((l) => l.includes(`"${requestId}"`));
  expect(line, `no access-log line for ${requestId}`).toBeDefined();
  return line!;
}

describe("weighted clusters", () => {
  it("splits 70/30 within ±10 points over 400 requests, and both clusters are used", async () => {
    const before = { heavy: heavy.seen.length, light: light.seen.length };
    const total = 400;
    // One curl process, several URLs per invocation over one keep-alive connection each.
    const batches = 8;
    const per = total / batches;
    const outputs = await Promise.all(
      Array.from(
        { length: batches },
        () =>
          curlRaw([
            "-s",
            "-i",
            "-w",
            "\\n",
            "-H",
            "Host: main.test",
            ...Array.from({ length: per }, (_, i) => url(`/split/${i}`)),
          ]),
      ),
    );
    const text = outputs.map((o) => o.stdout).join("");
    const statuses = [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1]);
    expect(statuses).toHaveLength(total);
    expect(new Set(statuses)).toEqual(new Set(["200"]));
    const heavyCount = [...text.matchAll(/^x-upstream: heavy\r$/gm)].length;
    const lightCount = [...text.matchAll(/^x-upstream: light\r$/gm)].length;
    expect(heavyCount + lightCount).toBe(total);
    expect(heavy.seen.length - before.heavy).toBe(heavyCount);
    expect(light.seen.length - before.light).toBe(lightCount);
    const share = (heavyCount / total) * 100;
    expect(share).toBeGreaterThanOrEqual(60);
    expect(share).toBeLessThanOrEqual(80);
    expect(lightCount).toBeGreaterThan(0);
  });
});

describe("cluster_header", () => {
  it("routes to the cluster named by the request header", async () => {
    const a = await curl(["-H", "Host: main.test", "-H", "x-target-cluster: light", url("/by-header")]);
    expect(a.status).toBe(200);
    expect(a.body).toBe("light");
    const b = await curl(["-H", "Host: main.test", "-H", "x-target-cluster: heavy", url("/by-header")]);
    expect(b.body).toBe("heavy");
  });

  it("a missing header or an unknown cluster answers 503 (NC)", async () => {
    const missing = await curl([
      "-H",
      "Host: main.test",
      "-H",
      "x-request-id: rid-missing-header",
      url("/by-header"),
    ]);
    expect(missing.status).toBe(503);
    expect(logLine("rid-missing-header")).toMatch(/" 503 NC /);
    const unknown = await curl(["-H", "Host: main.test", "-H", "x-target-cluster: nope", url("/by-header")]);
    expect(unknown.status).toBe(503);
    expect(
      heavy.seen.concat(light.seen).some((r) => r.url === "/by-header" && !r.headers["x-target-cluster"]),
    ).toBe(false);
  });
});

describe("no route and unknown cluster", () => {
  it("a path no route matches gets 404 and the access log carries NR", async () => {
    const res = await curl(["-H", "Host: main.test", "-H", "x-request-id: rid-no-route", url("/nowhere")]);
    expect(res.status).toBe(404);
    expect(res.headers["x-upstream"]).toBeUndefined();
    const line = logLine("rid-no-route");
    expect(line).toContain('"GET /nowhere HTTP/1.1" 404 NR ');
    expect(line).toContain('"main.test"');
    expect(proxy.proxy.stats.counter("http.test.no_route").value).toBeGreaterThanOrEqual(1);
  });

  it("a Host no virtual host matches gets 404 NR", async () => {
    const res = await curl(["-H", "Host: other.test", "-H", "x-request-id: rid-no-vhost", url("/ok")]);
    expect(res.status).toBe(404);
    expect(logLine("rid-no-vhost")).toContain(" 404 NR ");
  });

  it("a route to a cluster that does not exist gets 503 NC", async () => {
    const before = proxy.proxy.stats.counter("http.test.no_cluster").value;
    const res = await curl(["-H", "Host: main.test", "-H", "x-request-id: rid-ghost", url("/ghost")]);
    expect(res.status).toBe(503);
    expect(logLine("rid-ghost")).toContain('"GET /ghost HTTP/1.1" 503 NC ');
    expect(proxy.proxy.stats.counter("http.test.no_cluster").value).toBe(before + 1);
  });

  it("a forwarded request logs no flag and the upstream host", async () => {
    const res = await curl(["-H", "Host: main.test", "-H", "x-request-id: rid-ok", url("/ok")]);
    expect(res.status).toBe(200);
    expect(logLine("rid-ok")).toMatch(new RegExp(`" 200 - \\d+ .*"127\\.0\\.0\\.1:${heavy.port}"$`));
  });
});
