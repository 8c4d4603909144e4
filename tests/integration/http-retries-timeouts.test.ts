// Real-socket retries and timeouts through the proxy with curl: 5xx, reset, connect-failure, status codes, UT/URX.
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  curl,
  httpBootstrap,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
  type UpstreamHandler,
} from "../support/harness.ts";
import { rawExchange } from "../support/raw-clients.ts";

type Failure = "503" | "409" | "reset" | "hang";

/** Fails the first `n` requests the given way, then answers 200 with the request's index. */
function failFirst(n: number, how: Failure): UpstreamHandler {
  return (req, res, _body, index) => {
    if (index >= n) {
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end(`ok after ${index}`);
    }
    if (how === "reset") return req.socket.destroy();
    if (how === "hang") return; // never answers; closed with the server
    res.writeHead(Number(how), { "content-type": "text/plain" });
    res.end(`failure ${index}`);
  };
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const RETRY = (on: string, n: number, extra = "") =>
  `retry_policy: { retry_on: "${on}", num_retries: ${n}, retry_back_off: { base_interval: 0.005s }${extra} }`;

const ROUTES = `
name: local
virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - { match: { prefix: /5xx }, route: { cluster: c5xx, ${RETRY("5xx", 3)} } }
      - { match: { prefix: /reset }, route: { cluster: creset, ${RETRY("reset", 2)} } }
      - { match: { prefix: /codes }, route: { cluster: ccodes, ${
  RETRY("retriable-status-codes", 1, ", retriable_status_codes: [409]")
} } }
      - { match: { prefix: /no-codes }, route: { cluster: cnocodes, ${RETRY("5xx", 3)} } }
      - { match: { prefix: /exhaust }, route: { cluster: cexhaust, ${RETRY("5xx", 2)} } }
      - match: { prefix: /connect }
        route:
          cluster: cconnect
          ${
  RETRY(
    "connect-failure",
    1,
    ", retry_host_predicate: [{ name: envoy.retry_host_predicates.previous_hosts }]",
  )
}
      - { match: { prefix: /slow }, route: { cluster: chang, timeout: 0.3s } }
      - match: { prefix: /per-try }
        route: { cluster: cpertry, timeout: 3s, ${RETRY("5xx", 1, ", per_try_timeout: 0.2s")} }
`;

const ups: Record<string, Upstream> = {};
let proxy: TestProxy;
const log: string[] = [];

beforeAll(async () => {
  ups.c5xx = await startUpstream("c5xx", failFirst(2, "503"));
  ups.creset = await startUpstream("creset", failFirst(2, "reset"));
  ups.ccodes = await startUpstream("ccodes", failFirst(1, "409"));
  ups.cnocodes = await startUpstream("cnocodes", failFirst(1, "409"));
  ups.cexhaust = await startUpstream("cexhaust", failFirst(Infinity, "503"));
  ups.cconnect = await startUpstream("cconnect");
  ups.chang = await startUpstream("chang", failFirst(Infinity, "hang"));
  ups.cpertry = await startUpstream("cpertry", failFirst(1, "hang"));
  const dead = await closedPort();
  const clusters = Object.entries(ups).map(([name, u]) =>
    name === "cconnect"
      ? staticCluster(name, [dead, u.port], "lb_policy: RANDOM")
      : staticCluster(name, [u.port])
  ).join("");
  proxy = await startProxy(httpBootstrap({ routes: ROUTES, clusters }), { log });
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all(Object.values(ups).map((u) => u.close()));
});

const url = (path: string) => `http://127.0.0.1:${proxy.port()}${path}`;
const counter = (name: string) => proxy.proxy.stats.counter(name).value;
const logLine = (rid: string) => log.find((l) => l.includes(`"${rid}"`)) ?? `(no access-log line for ${rid})`;

describe("retries", () => {
  it("retry_on 5xx: two 503s then 200 — the client sees 200, the upstream three requests", async () => {
    const res = await curl(["-H", "x-request-id: rid-5xx", url("/5xx")]);
    expect(res.status).toBe(200);
    expect(res.body).toBe("ok after 2");
    expect(ups.c5xx.seen).toHaveLength(3);
    expect(counter("cluster.c5xx.upstream_rq_retry")).toBe(2);
    expect(counter("cluster.c5xx.upstream_rq_retry_success")).toBe(1);
    expect(counter("cluster.c5xx.upstream_rq_5xx")).toBe(2);
    expect(logLine("rid-5xx")).toMatch(/" 200 - /);
  });

  it("retry_on reset: the upstream destroys the socket twice, the third attempt answers", async () => {
    const res = await curl(["-X", "POST", "--data-binary", "payload", url("/reset")]);
    expect(res.status).toBe(200);
    expect(res.body).toBe("ok after 2");
    expect(ups.creset.seen).toHaveLength(3);
    // The buffered request body is replayed on every attempt.
    expect(ups.creset.seen.map((r) => r.body)).toEqual(["payload", "payload", "payload"]);
    expect(counter("cluster.creset.upstream_rq_retry")).toBe(2);
    expect(counter("cluster.creset.upstream_rq_rx_reset")).toBe(2);
  });

  it("retriable-status-codes retries a listed 409; retry_on 5xx does not retry it", async () => {
    const listed = await curl([url("/codes")]);
    expect(listed.status).toBe(200);
    expect(ups.ccodes.seen).toHaveLength(2);
    expect(counter("cluster.ccodes.upstream_rq_retry")).toBe(1);
    const unlisted = await curl([url("/no-codes")]);
    expect(unlisted.status).toBe(409);
    expect(unlisted.body).toBe("failure 0");
    expect(ups.cnocodes.seen).toHaveLength(1);
    expect(counter("cluster.cnocodes.upstream_rq_retry")).toBe(0);
  });

  it("retries exhausted: the upstream's last 503 reaches the client and the access log says URX", async () => {
    const res = await curl(["-H", "x-request-id: rid-exhaust", url("/exhaust")]);
    expect(res.status).toBe(503);
    expect(res.body).toBe("failure 2");
    expect(ups.cexhaust.seen).toHaveLength(3);
    expect(counter("cluster.cexhaust.upstream_rq_retry")).toBe(2);
    expect(counter("cluster.cexhaust.upstream_rq_retry_success")).toBe(0);
    expect(logLine("rid-exhaust")).toMatch(/"GET \/exhaust HTTP\/1\.1" 503 URX /);
  });

  it("connect-failure with previous_hosts: a closed port and a live one — every request lands on the live one", async () => {
    // RANDOM picks the closed port for about half of the first attempts; without previous_hosts a
    // quarter of all requests would pick it again on their one retry and fail.
    const n = 20;
    for (let i = 0; i < n; i++) {
      const res = await curl([url(`/connect/${i}`)]);
      expect(res.status).toBe(200);
      expect(res.body).toBe("cconnect");
    }
    expect(ups.cconnect.seen).toHaveLength(n);
    const failures = counter("cluster.cconnect.upstream_cx_connect_fail");
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(failures).toBeLessThan(n);
    expect(counter("cluster.cconnect.upstream_rq_retry")).toBe(failures);
    expect(counter("cluster.cconnect.upstream_rq_retry_success")).toBe(failures);
  });
});

describe("timeouts", () => {
  it("route timeout 0.3s with an upstream that never answers: 504 within 0.3–1.5 s, flag UT", async () => {
    const started = performance.now();
    const res = await curl(["-H", "x-request-id: rid-slow", url("/slow")]);
    const elapsed = performance.now() - started;
    expect(res.status).toBe(504);
    expect(res.body).toBe("upstream request timeout\n");
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
    expect(ups.chang.seen).toHaveLength(1);
    expect(logLine("rid-slow")).toMatch(/"GET \/slow HTTP\/1\.1" 504 UT /);
    expect(counter("cluster.chang.upstream_rq_timeout")).toBe(1);
    expect(counter("http.test.downstream_rq_timeout")).toBe(1);
  });

  it("per_try_timeout: the first attempt hangs, the retry answers fast — 200", async () => {
    const started = performance.now();
    const res = await curl([url("/per-try")]);
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.body).toBe("ok after 1");
    expect(ups.cpertry.seen).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1500);
    expect(counter("cluster.cpertry.upstream_rq_per_try_timeout")).toBe(1);
    expect(counter("cluster.cpertry.upstream_rq_retry")).toBe(1);
  });
});

describe("idle downstream connections", () => {
  let idle: TestProxy;
  let echo: Upstream;
  beforeAll(async () => {
    echo = await startUpstream("idle-echo");
    idle = await startProxy(httpBootstrap({
      routes:
        `name: r\nvirtual_hosts: [{ name: a, domains: ["*"], routes: [{ match: { prefix: / }, route: { cluster: e } }] }]`,
      clusters: staticCluster("e", [echo.port]),
      hcmExtra: "common_http_protocol_options: { idle_timeout: 0.4s }",
    }));
  });
  afterAll(async () => {
    await idle?.close();
    await echo?.close();
  });

  it("closes a keep-alive connection idle for idle_timeout after its response", async () => {
    const started = performance.now();
    const ex = await rawExchange(idle.port(), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", 4000);
    const elapsed = performance.now() - started;
    expect(ex.status).toBe(200);
    expect(ex.response).toMatch(/\r\n\r\n(9\r\nidle-echo\r\n0\r\n\r\n|idle-echo)$/);
    expect(ex.closedByPeer).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(2500);
  });

  it("closes a connection that never sends a request", async () => {
    const started = performance.now();
    const ex = await rawExchange(idle.port(), "", 4000);
    expect(ex.closedByPeer).toBe(true);
    expect(ex.response).toBe("");
    expect(performance.now() - started).toBeLessThan(2500);
  });
});
