// Conformance: request/response header manipulation and path/host rewrites, as the upstream sees them.
import { assert, defineCase, type Echo, request, withProxy } from "../case-api.ts";
import { httpBootstrap, staticCluster } from "../bootstrap.ts";

const ROUTES = `name: local
request_headers_to_add:
  - { header: { key: x-level, value: config }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
response_headers_to_add:
  - { header: { key: x-resp-config, value: "1" } }
virtual_hosts:
  - name: main
    domains: ["*"]
    request_headers_to_add:
      - { header: { key: x-level, value: vhost }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
    routes:
      - match: { prefix: /hdr }
        route: { cluster: echo }
        request_headers_to_add:
          - { header: { key: x-level, value: route }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
          - { header: { key: x-added, value: "yes" } }
          - { header: { key: x-client, value: proxy }, append_action: APPEND_IF_EXISTS_OR_ADD }
        request_headers_to_remove: [x-secret]
        response_headers_to_add:
          - { header: { key: x-resp-route, value: "1" } }
        response_headers_to_remove: [x-remove-me]
      - match: { prefix: /api/v1/ }
        route: { cluster: echo, prefix_rewrite: /echo/v2/ }
      - match: { safe_regex: { regex: "/regex/[a-z]+/[0-9]+" } }
        route:
          cluster: echo
          regex_rewrite: { pattern: { regex: "^/regex/([a-z]+)/([0-9]+)$" }, substitution: "/echo/\\\\2/\\\\1" }
      - match: { prefix: /host }
        route: { cluster: echo, host_rewrite_literal: backend.internal }
      - match: { prefix: / }
        route: { cluster: echo }
`;

const bootstrap = (port: number) =>
  httpBootstrap({ routes: ROUTES, clusters: staticCluster("echo", [port]) });

defineCase("headers: request headers are added, overwritten, appended and removed per route", async (h) => {
  await withProxy(h, bootstrap(h.upstream.port), async (p) => {
    const res = await request(`${p.url}/hdr`, {
      headers: { "x-secret": "s", "x-client": "mine", "x-level": "client" },
    });
    assert.equal(res.status, 200, "status");
    const seen = res.json<Echo>().headers;
    // Envoy applies route, then virtual host, then route_config mutations: the least specific OVERWRITE wins.
    assert.equal(seen["x-level"], "config", "x-level after route, vhost and config OVERWRITEs");
    assert.equal(seen["x-added"], "yes", "x-added");
    assert.equal(seen["x-secret"], undefined, "x-secret removed");
    assert.deepEqual(
      String(seen["x-client"]).split(/,\s*/),
      ["mine", "proxy"],
      "APPEND keeps the client's value first",
    );
  });
});

defineCase("headers: response headers are added and removed", async (h) => {
  await withProxy(h, bootstrap(h.upstream.port), async (p) => {
    const res = await request(`${p.url}/hdr`);
    assert.equal(res.headers.get("x-resp-route"), "1", "route-level response header");
    assert.equal(res.headers.get("x-resp-config"), "1", "config-level response header");
    assert.equal(res.headers.get("x-remove-me"), null, "the upstream's x-remove-me is removed");
    const plain = await request(`${p.url}/echo`);
    assert.equal(plain.headers.get("x-remove-me"), "yes", "kept on routes that do not remove it");
  });
});

defineCase(
  "rewrites: prefix_rewrite and regex_rewrite change the upstream path; the original is kept",
  async (h) => {
    await withProxy(h, bootstrap(h.upstream.port), async (p) => {
      const prefixed = (await request(`${p.url}/api/v1/users?id=3`)).json<Echo>();
      assert.equal(prefixed.path, "/echo/v2/users?id=3", "prefix_rewrite keeps the query");
      assert.equal(prefixed.headers["x-envoy-original-path"], "/api/v1/users?id=3", "x-envoy-original-path");
      const regex = (await request(`${p.url}/regex/item/42?v=1`)).json<Echo>();
      assert.equal(regex.path, "/echo/42/item?v=1", "regex_rewrite substitutes capture groups");
      const plain = (await request(`${p.url}/echo/plain`)).json<Echo>();
      assert.equal(plain.headers["x-envoy-original-path"], undefined, "no original path when not rewritten");
    });
  },
);

defineCase("rewrites: host_rewrite_literal sets the Host the upstream sees", async (h) => {
  await withProxy(h, bootstrap(h.upstream.port), async (p) => {
    const seen = (await request(`${p.url}/host/x`)).json<Echo>();
    assert.equal(seen.headers.host, "backend.internal", "host");
    assert.equal(seen.path, "/host/x", "path unchanged");
  });
}, {
  skip: {
    workers: "fetch() sets Host from the endpoint URL and ignores a Host header (docs/runtimes.md)",
  },
});

defineCase("bodies: a POST body reaches the upstream unchanged", async (h) => {
  await withProxy(h, bootstrap(h.upstream.port), async (p) => {
    const body = "x".repeat(100_000) + "end";
    const seen = (await request(`${p.url}/echo/post`, { method: "POST", body })).json<Echo>();
    assert.equal(seen.method, "POST", "method");
    assert.equal(seen.body.length, body.length, "body length");
    assert.equal(seen.body.slice(-3), "end", "body tail");
  });
});

defineCase("bodies: a large streamed response arrives whole and in order", async (h) => {
  await withProxy(h, bootstrap(h.upstream.port), async (p) => {
    const size = 1_000_003;
    const res = await request(`${p.url}/bytes/${size}`);
    assert.equal(res.status, 200, "status");
    assert.equal(res.text.length, size, "body length");
    // Byte i is digit (i mod 16384) mod 10: the upstream repeats a 16 KiB chunk of "0123456789…0123".
    const at = (i: number) => String((i % 16384) % 10);
    assert.equal(res.text.slice(16380, 16390), "0123012345", "bytes across a chunk boundary");
    assert.equal(res.text.slice(-3), at(size - 3) + at(size - 2) + at(size - 1), "the last bytes");
  });
});
