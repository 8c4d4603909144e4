// Conformance: redirects, direct responses, upstream 3xx passed through, and local replies 503 UF / 503 UH.
import { assert, counter, defineCase, request, withProxy } from "../case-api.ts";
import { httpBootstrap, routeConfig, staticCluster } from "../bootstrap.ts";

const ROUTES = routeConfig(`
- { match: { prefix: /secure }, redirect: { https_redirect: true } }
- { match: { prefix: /moved }, redirect: { path_redirect: /new/place } }
- { match: { prefix: /old/ }, redirect: { prefix_rewrite: /fresh/, response_code: FOUND } }
- { match: { prefix: /strip }, redirect: { path_redirect: /clean, strip_query: true } }
- match: { path: /direct }
  direct_response: { status: 418, body: { inline_string: "short and stout" } }
  response_headers_to_add: [{ header: { key: x-direct, value: teapot } }]
- { match: { path: /direct-empty }, direct_response: { status: 204 } }
- { match: { prefix: /down }, route: { cluster: down } }
- { match: { prefix: /empty }, route: { cluster: empty } }
- { match: { prefix: /missing }, route: { cluster_header: x-target-cluster } }
- { match: { prefix: / }, route: { cluster: web } }`);

function clusters(port: number, closedPort: number): string {
  return staticCluster("web", [port]) + staticCluster("down", [closedPort]) +
    `- name: empty
  type: STATIC
  connect_timeout: 0.5s
  load_assignment: { cluster_name: empty, endpoints: [] }
`;
}

const bootstrap = (h: { upstream: { port: number; closedPort: number } }) =>
  httpBootstrap({ routes: ROUTES, clusters: clusters(h.upstream.port, h.upstream.closedPort) });

defineCase("redirects: https, path, prefix and strip_query redirects answer with Location", async (h) => {
  await withProxy(h, bootstrap(h), async (p) => {
    const host = new URL(p.url).host;
    const secure = await request(`${p.url}/secure/page?q=1`);
    assert.equal(secure.status, 301, "https_redirect status");
    assert.equal(
      secure.headers.get("location"),
      `https://${host}/secure/page?q=1`,
      "https_redirect location",
    );
    const moved = await request(`${p.url}/moved/somewhere?x=1`);
    assert.equal(moved.status, 301, "path_redirect status");
    assert.equal(moved.headers.get("location"), `http://${host}/new/place?x=1`, "path_redirect location");
    const old = await request(`${p.url}/old/doc/a?x=1`);
    assert.equal(old.status, 302, "response_code FOUND");
    assert.equal(old.headers.get("location"), `http://${host}/fresh/doc/a?x=1`, "prefix_rewrite location");
    const strip = await request(`${p.url}/strip/me?secret=1`);
    assert.equal(strip.headers.get("location"), `http://${host}/clean`, "strip_query location");
    assert.equal(counter(p, "http.conf.rq_redirect"), 4, "rq_redirect");
    assert.equal(counter(p, "cluster.web.upstream_rq_total"), 0, "redirects never reach the upstream");
  });
});

defineCase("direct responses: configured status, body and headers; empty body when none", async (h) => {
  await withProxy(h, bootstrap(h), async (p) => {
    const tea = await request(`${p.url}/direct`);
    assert.equal(tea.status, 418, "status");
    assert.equal(tea.text, "short and stout", "body");
    assert.equal(tea.headers.get("x-direct"), "teapot", "response_headers_to_add");
    const empty = await request(`${p.url}/direct-empty`);
    assert.equal(empty.status, 204, "status");
    assert.equal(empty.text, "", "no body");
    assert.equal(counter(p, "http.conf.rq_direct_response"), 2, "rq_direct_response");
  });
});

defineCase("upstream answers pass through: status codes and 3xx are not followed", async (h) => {
  await withProxy(h, bootstrap(h), async (p) => {
    const moved = await request(`${p.url}/status/302`);
    assert.equal(moved.status, 302, "status");
    assert.equal(moved.headers.get("location"), "/moved", "the upstream's Location");
    const teapot = await request(`${p.url}/status/418`);
    assert.equal(teapot.status, 418, "status");
    assert.equal(teapot.text, "status 418", "body");
    assert.equal(counter(p, "cluster.web.upstream_rq_3xx"), 1, "upstream_rq_3xx");
    assert.equal(counter(p, "cluster.web.upstream_rq_4xx"), 1, "upstream_rq_4xx");
  });
});

defineCase("local replies: a refused connection is 503 with flag UF", async (h) => {
  await withProxy(h, bootstrap(h), async (p) => {
    const res = await request(`${p.url}/down`);
    assert.equal(res.status, 503, "status");
    assert.match(res.text, /^upstream connect error or disconnect\/reset before headers/, "body");
    assert.equal(counter(p, "cluster.down.upstream_cx_connect_fail"), 1, "upstream_cx_connect_fail");
    assert.equal(counter(p, "http.conf.response_flags.UF"), 1, "response_flags.UF");
  });
});

defineCase(
  "local replies: a cluster without endpoints is 503 'no healthy upstream' with flag UH",
  async (h) => {
    await withProxy(h, bootstrap(h), async (p) => {
      const res = await request(`${p.url}/empty`);
      assert.equal(res.status, 503, "status");
      assert.match(res.text, /^no healthy upstream\n?$/, "body");
      assert.equal(counter(p, "cluster.empty.upstream_cx_none_healthy"), 1, "upstream_cx_none_healthy");
      assert.equal(counter(p, "http.conf.response_flags.UH"), 1, "response_flags.UH");
    });
  },
);

defineCase("local replies: cluster_header naming no cluster is 503 with flag NC", async (h) => {
  await withProxy(h, bootstrap(h), async (p) => {
    const res = await request(`${p.url}/missing`, { headers: { "x-target-cluster": "not_defined" } });
    assert.equal(res.status, 503, "status");
    assert.equal(counter(p, "http.conf.no_cluster"), 1, "no_cluster");
    assert.equal(counter(p, "http.conf.response_flags.NC"), 1, "response_flags.NC");
  });
});

defineCase("stats: downstream and upstream request counters add up", async (h) => {
  await withProxy(h, bootstrap(h), async (p) => {
    for (let i = 0; i < 3; i++) await request(`${p.url}/echo`);
    await request(`${p.url}/status/500`);
    await request(`${p.url}/direct`);
    assert.equal(counter(p, "http.conf.downstream_rq_total"), 5, "downstream_rq_total");
    assert.equal(counter(p, "http.conf.downstream_rq_2xx"), 3, "downstream_rq_2xx");
    assert.equal(counter(p, "http.conf.downstream_rq_4xx"), 1, "downstream_rq_4xx (418)");
    assert.equal(counter(p, "http.conf.downstream_rq_5xx"), 1, "downstream_rq_5xx");
    assert.equal(counter(p, "cluster.web.upstream_rq_total"), 4, "upstream_rq_total");
    assert.equal(counter(p, "cluster.web.upstream_rq_2xx"), 3, "upstream_rq_2xx");
    assert.equal(counter(p, "cluster.web.upstream_rq_5xx"), 1, "upstream_rq_5xx");
  });
});
