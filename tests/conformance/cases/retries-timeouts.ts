// Conformance: retries (5xx, connect-failure, exhausted → URX), route timeouts and per-try timeouts (504 UT).
import { assert, counter, defineCase, request, withProxy } from "../case-api.ts";
import { httpBootstrap, routeConfig, staticCluster } from "../bootstrap.ts";

const RETRY = (on: string, n: number, extra = "") =>
  `retry_policy: { retry_on: "${on}", num_retries: ${n}, retry_back_off: { base_interval: 0.005s }${extra} }`;

/** A unique key per proxy start, so /fail counters of the shared upstream never collide. */
const key = (name: string) => `${name}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;

defineCase("retries: 5xx answers are retried until the upstream succeeds", async (h) => {
  const routes = routeConfig(`- { match: { prefix: / }, route: { cluster: web, ${RETRY("5xx", 3)} } }`);
  await withProxy(
    h,
    httpBootstrap({ routes, clusters: staticCluster("web", [h.upstream.port]) }),
    async (p) => {
      const res = await request(`${p.url}/fail/${key("retry")}/2`);
      assert.equal(res.status, 200, "status");
      assert.equal(res.json<{ attempt: number }>().attempt, 3, "the third attempt answered");
      assert.equal(counter(p, "cluster.web.upstream_rq_retry"), 2, "upstream_rq_retry");
      assert.equal(counter(p, "cluster.web.upstream_rq_retry_success"), 1, "upstream_rq_retry_success");
      assert.equal(counter(p, "cluster.web.upstream_rq_5xx"), 2, "upstream_rq_5xx");
      assert.equal(counter(p, "cluster.web.upstream_rq_total"), 3, "upstream_rq_total");
    },
  );
});

defineCase("retries: an exhausted retry budget returns the last answer with flag URX", async (h) => {
  const routes = routeConfig(`- { match: { prefix: / }, route: { cluster: web, ${RETRY("5xx", 1)} } }`);
  await withProxy(
    h,
    httpBootstrap({ routes, clusters: staticCluster("web", [h.upstream.port]) }),
    async (p) => {
      const res = await request(`${p.url}/fail/${key("exhaust")}/5`);
      assert.equal(res.status, 503, "status");
      assert.equal(res.text, "failure 2 of 5", "the upstream's own body");
      assert.equal(counter(p, "cluster.web.upstream_rq_retry"), 1, "upstream_rq_retry");
      assert.equal(counter(p, "http.conf.response_flags.URX"), 1, "response_flags.URX");
    },
  );
});

defineCase("retries: connect-failure moves on to the next endpoint", async (h) => {
  const routes = routeConfig(`
- match: { prefix: / }
  route:
    cluster: web
    ${
    RETRY(
      "connect-failure",
      2,
      ", retry_host_predicate: [{ name: envoy.retry_host_predicates.previous_hosts }]",
    )
  }`);
  const clusters = staticCluster("web", [h.upstream.closedPort, h.upstream.port], "lb_policy: ROUND_ROBIN");
  await withProxy(h, httpBootstrap({ routes, clusters }), async (p) => {
    for (let i = 0; i < 4; i++) assert.equal((await request(`${p.url}/echo`)).status, 200, `request ${i}`);
    assert.between(counter(p, "cluster.web.upstream_cx_connect_fail"), 1, 4, "upstream_cx_connect_fail");
    assert.equal(
      counter(p, "cluster.web.upstream_rq_retry"),
      counter(p, "cluster.web.upstream_cx_connect_fail"),
      "one retry per connect failure",
    );
  });
});

defineCase("timeouts: the route timeout answers 504 with flag UT", async (h) => {
  const routes = routeConfig(`- { match: { prefix: / }, route: { cluster: web, timeout: 0.2s } }`);
  await withProxy(
    h,
    httpBootstrap({ routes, clusters: staticCluster("web", [h.upstream.port]) }),
    async (p) => {
      const started = Date.now();
      const res = await request(`${p.url}/delay/3000`);
      const took = Date.now() - started;
      assert.equal(res.status, 504, "status");
      assert.match(res.text, /^upstream request timeout\n?$/, "body");
      assert.between(took, 150, 2000, "ms until the 504");
      assert.equal(counter(p, "cluster.web.upstream_rq_timeout"), 1, "upstream_rq_timeout");
      assert.equal(counter(p, "http.conf.downstream_rq_timeout"), 1, "downstream_rq_timeout");
      assert.equal(counter(p, "http.conf.response_flags.UT"), 1, "response_flags.UT");
      const fast = await request(`${p.url}/delay/10`);
      assert.equal(fast.status, 200, "a request within the timeout");
    },
  );
});

defineCase("timeouts: each try has its per_try_timeout; both tries time out → 504 UT,URX", async (h) => {
  const routes = routeConfig(
    `- { match: { prefix: / }, route: { cluster: web, timeout: 5s, ${
      RETRY("5xx", 1, ", per_try_timeout: 0.15s")
    } } }`,
  );
  await withProxy(
    h,
    httpBootstrap({ routes, clusters: staticCluster("web", [h.upstream.port]) }),
    async (p) => {
      const res = await request(`${p.url}/delay/3000`);
      assert.equal(res.status, 504, "status");
      assert.equal(counter(p, "cluster.web.upstream_rq_per_try_timeout"), 2, "upstream_rq_per_try_timeout");
      assert.equal(counter(p, "cluster.web.upstream_rq_retry"), 1, "upstream_rq_retry");
      assert.equal(counter(p, "http.conf.response_flags.UT"), 1, "response_flags.UT");
      assert.equal(counter(p, "http.conf.response_flags.URX"), 1, "response_flags.URX");
    },
  );
});
