// Conformance: route matching (path, prefix, regex, headers, query, method), virtual hosts, and no route (404 NR).
import { assert, counter, defineCase, type Echo, request, withProxy } from "../case-api.ts";
import { httpBootstrap, staticCluster } from "../bootstrap.ts";

const ROUTES = `name: local
virtual_hosts:
  - name: elsewhere
    domains: ["other.test"]
    routes:
      - { match: { prefix: / }, direct_response: { status: 200, body: { inline_string: "wrong vhost" } } }
  - name: main
    domains: ["127.0.0.1"]
    routes:
      - { match: { path: /exact }, route: { cluster: a } }
      - { match: { safe_regex: { regex: "/items/[0-9]+" } }, route: { cluster: b } }
      - match: { prefix: /h, headers: [{ name: x-pick, string_match: { exact: b } }] }
        route: { cluster: b }
      - match: { prefix: /q, query_parameters: [{ name: pick, string_match: { exact: c } }] }
        route: { cluster: c }
      - match: { prefix: /m, headers: [{ name: ":method", string_match: { exact: POST } }] }
        route: { cluster: c }
      - { match: { prefix: /api/ }, route: { cluster: a } }
`;

function clusters(ports: readonly number[]): string {
  return ["a", "b", "c"].map((name, i) => staticCluster(name, [ports[i]])).join("");
}

/** Which upstream port (so which cluster) served a request. */
async function servedBy(url: string, init?: RequestInit): Promise<number | string> {
  const res = await request(url, init);
  return res.status === 200 ? res.json<Echo>().port : `status ${res.status}`;
}

defineCase("routing: path, prefix, regex, header, query and method matches pick their cluster", async (h) => {
  const [a, b, c] = h.upstream.ports;
  await withProxy(h, httpBootstrap({ routes: ROUTES, clusters: clusters(h.upstream.ports) }), async (p) => {
    assert.equal(await servedBy(`${p.url}/exact`), a, "path /exact");
    assert.equal(await servedBy(`${p.url}/exact/more`), "status 404", "path is exact, not a prefix");
    assert.equal(await servedBy(`${p.url}/items/42`), b, "safe_regex");
    assert.equal(await servedBy(`${p.url}/items/x42`), "status 404", "safe_regex must match the whole path");
    assert.equal(await servedBy(`${p.url}/h`, { headers: { "x-pick": "b" } }), b, "header exact");
    assert.equal(await servedBy(`${p.url}/q?x=1&pick=c`), c, "query parameter");
    assert.equal(await servedBy(`${p.url}/m`, { method: "POST", body: "x" }), c, ":method header");
    assert.equal(await servedBy(`${p.url}/api/v1/users?id=7`), a, "prefix");
  });
});

defineCase("routing: a Host with a port selects the virtual host of the bare domain", async (h) => {
  await withProxy(h, httpBootstrap({ routes: ROUTES, clusters: clusters(h.upstream.ports) }), async (p) => {
    const res = await request(`${p.url}/api/x`);
    assert.equal(res.status, 200, "status");
    assert.match(
      res.json<Echo>().headers.host as string,
      /^127\.0\.0\.1:\d+$/,
      "upstream sees the original Host",
    );
  });
});

defineCase("routing: no matching route is a local 404 with response flag NR", async (h) => {
  await withProxy(h, httpBootstrap({ routes: ROUTES, clusters: clusters(h.upstream.ports) }), async (p) => {
    const res = await request(`${p.url}/nowhere`);
    assert.equal(res.status, 404, "status");
    assert.equal(counter(p, "http.conf.no_route"), 1, "http.conf.no_route");
    assert.equal(counter(p, "http.conf.response_flags.NR"), 1, "response_flags.NR");
    assert.equal(counter(p, "http.conf.downstream_rq_4xx"), 1, "downstream_rq_4xx");
  });
});
