// Real-socket route actions with curl: redirects, direct responses, path/host rewrites, header mutations, XFF, request id.
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

const ROUTES = `
name: local
request_headers_to_add:
  - { header: { key: x-level, value: config }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
  - { header: { key: x-config-added, value: "yes" } }
request_headers_to_remove: [x-config-secret]
response_headers_to_add:
  - { header: { key: x-resp-config, value: "1" } }
response_headers_to_remove: [x-config-internal]
virtual_hosts:
  - name: act
    domains: ["act.test"]
    request_headers_to_add:
      - { header: { key: x-level, value: vhost }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
      - { header: { key: x-vhost-added, value: "yes" } }
    request_headers_to_remove: [x-vhost-secret]
    response_headers_to_add:
      - { header: { key: x-resp-vhost, value: "1" } }
    response_headers_to_remove: [x-vhost-internal]
    routes:
      - match: { prefix: /secure }
        redirect: { https_redirect: true }
      - match: { prefix: /moved }
        redirect: { path_redirect: /new/place }
      - match: { prefix: /old/ }
        redirect: { prefix_rewrite: /fresh/, response_code: FOUND }
      - match: { prefix: /strip }
        redirect: { path_redirect: /clean, strip_query: true }
      - match: { path: /direct }
        direct_response: { status: 418, body: { inline_string: "short and stout" } }
        response_headers_to_add: [{ header: { key: x-direct, value: teapot } }]
      - match: { path: /direct-empty }
        direct_response: { status: 204 }
      - match: { prefix: /api/v1/ }
        route: { cluster: echo, prefix_rewrite: /v2/ }
      - match: { safe_regex: { regex: "/regex/[a-z]+/[0-9]+" } }
        route:
          cluster: echo
          regex_rewrite: { pattern: { regex: "^/regex/([a-z]+)/([0-9]+)$" }, substitution: "/\\\\2/\\\\1" }
      - match: { prefix: /host }
        route: { cluster: echo, host_rewrite_literal: backend.internal }
      - match: { prefix: /hdr }
        route: { cluster: echo }
        request_headers_to_add:
          - { header: { key: x-level, value: route }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
          - { header: { key: x-route-added, value: "yes" } }
          - { header: { key: x-append, value: proxy } }
        request_headers_to_remove: [x-route-secret]
        response_headers_to_add:
          - { header: { key: x-resp-route, value: "1" } }
          - { header: { key: x-keep, value: replaced }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
        response_headers_to_remove: [x-route-internal]
      - match: { prefix: / }
        route: { cluster: echo }
`;

let echo: Upstream;
let proxy: TestProxy;
let plain: TestProxy;

beforeAll(async () => {
  echo = await startUpstream("echo", (_req, res) => {
    res.writeHead(200, {
      "content-type": "text/plain",
      "x-route-internal": "r",
      "x-vhost-internal": "v",
      "x-config-internal": "c",
      "x-keep": "original",
    });
    res.end("echoed");
  });
  const clusters = staticCluster("echo", [echo.port]);
  proxy = await startProxy(httpBootstrap({ routes: ROUTES, clusters, hcmExtra: "use_remote_address: true" }));
  plain = await startProxy(httpBootstrap({ routes: ROUTES, clusters }));
});

afterAll(async () => {
  await Promise.all([proxy?.close(), plain?.close()]);
  await echo?.close();
});

const url = (path: string, p = proxy) => `http://127.0.0.1:${p.port()}${path}`;
const get = (path: string, ...args: string[]) => curl(["-H", "Host: act.test", ...args, url(path)]);
const lastSeen = () => echo.seen.at(-1)!;

describe("redirects", () => {
  it("https_redirect answers 301 with the https Location, path and query kept", async () => {
    const res = await get("/secure/page?q=1");
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe("https://act.test/secure/page?q=1");
    // The default port of the old scheme is dropped; another port is kept.
    expect((await curl(["-H", "Host: act.test:80", url("/secure")])).headers.location).toBe(
      "https://act.test/secure",
    );
    expect((await curl(["-H", "Host: act.test:8080", url("/secure")])).headers.location).toBe(
      "https://act.test:8080/secure",
    );
  });

  it("path_redirect replaces the path and keeps the query", async () => {
    const res = await get("/moved/somewhere?x=1");
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe("http://act.test/new/place?x=1");
  });

  it("prefix_rewrite redirect with response_code FOUND answers 302", async () => {
    const res = await get("/old/doc/a?x=1");
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("http://act.test/fresh/doc/a?x=1");
  });

  it("strip_query drops the query string", async () => {
    const res = await get("/strip/me?secret=1&b=2");
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe("http://act.test/clean");
  });

  it("redirects never reach the upstream", async () => {
    const before = echo.seen.length;
    await get("/moved");
    expect(echo.seen.length).toBe(before);
  });
});

describe("direct_response", () => {
  it("answers with the configured status, body and headers", async () => {
    const res = await get("/direct");
    expect(res.status).toBe(418);
    expect(res.body).toBe("short and stout");
    expect(res.headers["content-length"]).toBe("15");
    expect(res.headers["x-direct"]).toBe("teapot");
    expect(res.headers["x-resp-vhost"]).toBe("1");
    expect(res.headers["x-resp-config"]).toBe("1");
  });

  it("answers without a body when none is configured", async () => {
    const res = await get("/direct-empty");
    expect(res.status).toBe(204);
    expect(res.body).toBe("");
  });
});

describe("rewrites", () => {
  it("prefix_rewrite: the upstream sees the rewritten path and x-envoy-original-path", async () => {
    const res = await get("/api/v1/users?id=3");
    expect(res.status).toBe(200);
    expect(lastSeen().url).toBe("/v2/users?id=3");
    expect(lastSeen().headers["x-envoy-original-path"]).toBe("/api/v1/users?id=3");
  });

  it("regex_rewrite substitutes capture groups and keeps the query", async () => {
    const res = await get("/regex/item/42?v=1");
    expect(res.status).toBe(200);
    expect(lastSeen().url).toBe("/42/item?v=1");
    expect(lastSeen().headers["x-envoy-original-path"]).toBe("/regex/item/42?v=1");
  });

  it("an unrewritten request carries no x-envoy-original-path", async () => {
    await get("/plain");
    expect(lastSeen().url).toBe("/plain");
    expect(lastSeen().headers["x-envoy-original-path"]).toBeUndefined();
  });

  it("host_rewrite_literal: the upstream sees the new Host", async () => {
    const res = await get("/host/x");
    expect(res.status).toBe(200);
    expect(lastSeen().headers.host).toBe("backend.internal");
    expect(lastSeen().url).toBe("/host/x");
  });
});

describe("header mutations at route, virtual host and configuration level", () => {
  it("adds and removes request headers at every level; the least specific level wins by default", async () => {
    await get(
      "/hdr",
      ...[
        "-H",
        "x-route-secret: 1",
        "-H",
        "x-vhost-secret: 2",
        "-H",
        "x-config-secret: 3",
        "-H",
        "x-append: client",
      ],
    );
    const h = lastSeen().headers;
    expect(h["x-route-added"]).toBe("yes");
    expect(h["x-vhost-added"]).toBe("yes");
    expect(h["x-config-added"]).toBe("yes");
    expect(h["x-level"]).toBe("config");
    expect(h["x-route-secret"]).toBeUndefined();
    expect(h["x-vhost-secret"]).toBeUndefined();
    expect(h["x-config-secret"]).toBeUndefined();
    // APPEND_IF_EXISTS_OR_ADD (the default) keeps the client's value and adds the proxy's.
    expect(h["x-append"]).toBe("client, proxy");
  });

  it("adds and removes response headers at every level", async () => {
    const res = await get("/hdr");
    expect(res.status).toBe(200);
    expect(res.body).toBe("echoed");
    expect(res.headers["x-resp-route"]).toBe("1");
    expect(res.headers["x-resp-vhost"]).toBe("1");
    expect(res.headers["x-resp-config"]).toBe("1");
    expect(res.headers["x-keep"]).toBe("replaced");
    expect(res.headers["x-route-internal"]).toBeUndefined();
    expect(res.headers["x-vhost-internal"]).toBeUndefined();
    expect(res.headers["x-config-internal"]).toBeUndefined();
  });

  it("a route without its own mutations still gets the virtual host's and configuration's", async () => {
    const res = await get("/plain", "-H", "x-route-secret: kept");
    expect(res.headers["x-route-internal"]).toBe("r");
    expect(res.headers["x-vhost-internal"]).toBeUndefined();
    expect(res.headers["x-resp-route"]).toBeUndefined();
    expect(lastSeen().headers["x-route-secret"]).toBe("kept");
    expect(lastSeen().headers["x-level"]).toBe("config");
    expect(lastSeen().headers["x-route-added"]).toBeUndefined();
  });
});

describe("x-request-id and x-forwarded-for", () => {
  it("generates a UUID x-request-id when absent and keeps the client's when present", async () => {
    await get("/plain");
    const first = lastSeen().headers["x-request-id"];
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await get("/plain");
    expect(lastSeen().headers["x-request-id"]).not.toBe(first);
    await get("/plain", "-H", "x-request-id: client-chosen-id");
    expect(lastSeen().headers["x-request-id"]).toBe("client-chosen-id");
  });

  it("use_remote_address: true appends the peer address to x-forwarded-for", async () => {
    await get("/plain");
    expect(lastSeen().headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(lastSeen().headers["x-forwarded-proto"]).toBe("http");
    await get("/plain", "-H", "x-forwarded-for: 203.0.113.7");
    expect(lastSeen().headers["x-forwarded-for"]).toBe("203.0.113.7, 127.0.0.1");
  });

  it("without use_remote_address, x-forwarded-for passes through untouched", async () => {
    await curl(["-H", "Host: act.test", url("/plain", plain)]);
    expect(lastSeen().headers["x-forwarded-for"]).toBeUndefined();
    await curl(["-H", "Host: act.test", "-H", "x-forwarded-for: 203.0.113.7", url("/plain", plain)]);
    expect(lastSeen().headers["x-forwarded-for"]).toBe("203.0.113.7");
  });
});
