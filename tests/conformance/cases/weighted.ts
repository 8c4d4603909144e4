// Conformance: weighted cluster splits and round-robin balancing across endpoints.
import { assert, counter, defineCase, type Echo, request, withProxy } from "../case-api.ts";
import { httpBootstrap, routeConfig, staticCluster } from "../bootstrap.ts";

const N = 200;

defineCase("weighted clusters: an 80/20 split sends about 80% to the heavier cluster", async (h) => {
  const [a, b] = h.upstream.ports;
  const routes = routeConfig(`
- match: { prefix: / }
  route:
    weighted_clusters:
      clusters:
        - { name: heavy, weight: 80 }
        - { name: light, weight: 20 }`);
  const clusters = staticCluster("heavy", [a]) + staticCluster("light", [b]);
  await withProxy(h, httpBootstrap({ routes, clusters }), async (p) => {
    let heavy = 0;
    for (let i = 0; i < N; i++) {
      const port = (await request(`${p.url}/echo/${i}`)).json<Echo>().port;
      assert.ok(port === a || port === b, `served by an unknown port ${port}`);
      if (port === a) heavy++;
    }
    // Binomial(200, 0.8): mean 160, sd ≈ 5.7; these bounds are > 5 sd wide on each side.
    assert.between(heavy, 130, 190, "requests to the 80% cluster");
    assert.equal(
      counter(p, "cluster.heavy.upstream_rq_2xx") + counter(p, "cluster.light.upstream_rq_2xx"),
      N,
      "2xx",
    );
    assert.equal(counter(p, "cluster.heavy.upstream_rq_total"), heavy, "cluster.heavy.upstream_rq_total");
  });
});

defineCase("round robin: a cluster with three endpoints spreads requests evenly", async (h) => {
  const routes = routeConfig(`- { match: { prefix: / }, route: { cluster: rr } }`);
  const clusters = staticCluster("rr", h.upstream.ports, "lb_policy: ROUND_ROBIN");
  await withProxy(h, httpBootstrap({ routes, clusters }), async (p) => {
    const seen = new Map<number, number>();
    for (let i = 0; i < 30; i++) {
      const port = (await request(`${p.url}/echo`)).json<Echo>().port;
      seen.set(port, (seen.get(port) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), [...h.upstream.ports].sort(), "endpoints used");
    for (const [port, n] of seen) assert.equal(n, 10, `requests to ${port}`);
  });
});
