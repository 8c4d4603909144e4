import { describe, expect, it } from "vitest";
import type { JsonValue } from "@bufbuild/protobuf";
import { clusterOf, route, routes, seeded } from "./helpers.ts";
import type { ForwardResolution, SelectedRoute } from "../../../proxy/route/route-table.ts";
import { routeUpgradeEnabled } from "../../../proxy/route/route-entry.ts";

function forward(selected: SelectedRoute | undefined): ForwardResolution {
  if (selected?.action.kind !== "forward") {
    throw new Error(`expected a forward action, got ${selected?.action.kind}`);
  }
  return selected.action;
}

function location(
  redirect: Record<string, JsonValue>,
  req: Parameters<typeof route>[1] = {},
  match: Record<string, JsonValue> = { prefix: "/" },
) {
  const selected = route(routes([{ match, redirect }]), req);
  if (selected?.action.kind !== "redirect") throw new Error("expected a redirect");
  return { status: selected.action.status, location: selected.action.location };
}

describe("cluster selection", () => {
  it("routes to a named cluster", () => {
    expect(clusterOf(routes([{ match: { prefix: "/" }, route: { cluster: "backend" } }]))).toBe("backend");
  });

  it("reads cluster_header from the request, '' when absent", () => {
    const t = routes([{ match: { prefix: "/" }, route: { cluster_header: "X-Cluster" } }]);
    expect(clusterOf(t, { headers: { "x-cluster": "blue" } })).toBe("blue");
    expect(clusterOf(t, { headers: { "x-cluster": ["green", "red"] } })).toBe("green");
    expect(clusterOf(t)).toBe("");
    expect(forward(route(t)).policy.clusterNotFoundStatus).toBe(503);
  });

  it("honours cluster_not_found_response_code", () => {
    const t = routes([{
      match: { prefix: "/" },
      route: { cluster_header: "x-c", cluster_not_found_response_code: "NOT_FOUND" },
    }]);
    expect(forward(route(t)).policy.clusterNotFoundStatus).toBe(404);
  });

  it("splits weighted clusters by weight (10,000 seeded draws within ±2%)", () => {
    const t = routes([{
      match: { prefix: "/" },
      route: {
        weighted_clusters: {
          clusters: [{ name: "a", weight: 70 }, { name: "b", weight: 20 }, { name: "c", weight: 10 }, {
            name: "never",
            weight: 0,
          }],
        },
      },
    }]);
    const random = seeded(42);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const c = clusterOf(t, { random })!;
      counts[c] = (counts[c] ?? 0) + 1;
    }
    expect(Math.abs(counts.a / 10_000 - 0.7)).toBeLessThan(0.02);
    expect(Math.abs(counts.b / 10_000 - 0.2)).toBeLessThan(0.02);
    expect(Math.abs(counts.c / 10_000 - 0.1)).toBeLessThan(0.02);
    expect(counts.never).toBeUndefined();
  });

  it("maps the draw onto the running sums of the weights", () => {
    const t = routes([{
      match: { prefix: "/" },
      route: {
        weighted_clusters: {
          total_weight: 4,
          clusters: [{ name: "a", weight: 1 }, { name: "b", weight: 3 }],
        },
      },
    }]);
    expect(clusterOf(t, { random: () => 0 })).toBe("a");
    expect(clusterOf(t, { random: () => 0.24 })).toBe("a");
    expect(clusterOf(t, { random: () => 0.25 })).toBe("b");
    expect(clusterOf(t, { random: () => 0.999 })).toBe("b");
  });

  it("uses the random-value header when configured", () => {
    const t = routes([{
      match: { prefix: "/" },
      route: {
        weighted_clusters: {
          header_name: "x-rand",
          clusters: [{ name: "a", weight: 1 }, { name: "b", weight: 1 }],
        },
      },
    }]);
    expect(clusterOf(t, { headers: { "x-rand": "4" }, random: () => 0.9 })).toBe("a");
    expect(clusterOf(t, { headers: { "x-rand": "5" }, random: () => 0 })).toBe("b");
    expect(clusterOf(t, { headers: { "x-rand": "nope" }, random: () => 0.9 })).toBe("b");
  });

  it("resolves a weighted entry's cluster_header and its host_rewrite_literal", () => {
    const t = routes([{
      match: { prefix: "/" },
      route: {
        host_rewrite_literal: "route.host",
        weighted_clusters: {
          clusters: [{ cluster_header: "x-pick", weight: 1, host_rewrite_literal: "entry.host" }, {
            name: "b",
            weight: 1,
          }],
        },
      },
    }]);
    const first = forward(route(t, { headers: { "x-pick": "dyn" }, random: () => 0 }));
    expect(first.cluster).toBe("dyn");
    expect(first.host).toBe("entry.host");
    const second = forward(route(t, { random: () => 0.9 }));
    expect(second.cluster).toBe("b");
    expect(second.host).toBe("route.host");
  });
});

describe("redirects", () => {
  it("defaults to 301 and keeps scheme, authority, path and query", () => {
    expect(location({ host_redirect: "new.example" }, { path: "/a?b=1" }))
      .toEqual({ status: 301, location: "http://new.example/a?b=1" });
  });

  it("maps every response code", () => {
    const codes = {
      MOVED_PERMANENTLY: 301,
      FOUND: 302,
      SEE_OTHER: 303,
      TEMPORARY_REDIRECT: 307,
      PERMANENT_REDIRECT: 308,
    };
    for (const [name, status] of Object.entries(codes)) {
      expect(location({ path_redirect: "/x", response_code: name }).status).toBe(status);
    }
  });

  it("https_redirect drops the old scheme's default port but keeps others", () => {
    expect(location({ https_redirect: true }, { authority: "a.com:80", path: "/p" }).location).toBe(
      "https://a.com/p",
    );
    expect(location({ https_redirect: true }, { authority: "a.com:8080", path: "/p" }).location).toBe(
      "https://a.com:8080/p",
    );
    expect(location({ https_redirect: true }, { authority: "a.com", path: "/p?q" }).location).toBe(
      "https://a.com/p?q",
    );
  });

  it("keeps a default port when the scheme does not change", () => {
    expect(location({ path_redirect: "/n" }, { authority: "a.com:80" }).location).toBe("http://a.com:80/n");
    expect(location({ https_redirect: true }, { scheme: "https", authority: "a.com:443" }).location).toBe(
      "https://a.com:443/",
    );
  });

  it("scheme_redirect replaces the scheme", () => {
    expect(location({ scheme_redirect: "HTTP" }, { scheme: "https", authority: "a.com:443" }).location).toBe(
      "http://a.com/",
    );
  });

  it("port_redirect replaces the port of the request or of host_redirect", () => {
    expect(location({ port_redirect: 8443 }, { authority: "a.com:80", path: "/p" }).location).toBe(
      "http://a.com:8443/p",
    );
    expect(location({ port_redirect: 8443 }, { authority: "[::1]:80" }).location).toBe("http://[::1]:8443/");
    expect(location({ host_redirect: "b.com:1", port_redirect: 2 }).location).toBe("http://b.com:2/");
  });

  it("path_redirect keeps the request's query unless it has its own or strip_query is set", () => {
    expect(location({ path_redirect: "/new" }, { path: "/old?x=1" }).location).toBe(
      "http://example.com/new?x=1",
    );
    expect(location({ path_redirect: "/new?y=2" }, { path: "/old?x=1" }).location).toBe(
      "http://example.com/new?y=2",
    );
    expect(location({ path_redirect: "/new", strip_query: true }, { path: "/old?x=1" }).location).toBe(
      "http://example.com/new",
    );
  });

  it("prefix_rewrite replaces the matched prefix", () => {
    expect(location({ prefix_rewrite: "/v2/" }, { path: "/v1/users?x=1" }, { prefix: "/v1/" }).location)
      .toBe("http://example.com/v2/users?x=1");
    expect(
      location({ prefix_rewrite: "/v2/", strip_query: true }, { path: "/V1/users?x=1" }, {
        prefix: "/v1/",
        case_sensitive: false,
      }).location,
    )
      .toBe("http://example.com/v2/users");
  });

  it("regex_rewrite substitutes the path and keeps the query", () => {
    const redirect = {
      regex_rewrite: { pattern: { regex: "^/service/([^/]+)(/.*)$" }, substitution: "\\2/instance/\\1" },
    };
    expect(location(redirect, { path: "/service/foo/v1/api?x=1" }).location).toBe(
      "http://example.com/v1/api/instance/foo?x=1",
    );
  });

  it("redirects plain-text requests for require_tls ALL and EXTERNAL_ONLY", () => {
    const all = routes([{ name: "r", match: { prefix: "/" }, route: { cluster: "c" } }], {
      require_tls: "ALL",
    });
    const redirected = route(all, { authority: "a.com:80", path: "/x?y" });
    expect(redirected?.action).toMatchObject({
      kind: "redirect",
      status: 301,
      location: "https://a.com/x?y",
    });
    expect(route(all, { scheme: "https" })?.route?.name).toBe("r");
    const ext = routes([{ name: "r", match: { prefix: "/" }, route: { cluster: "c" } }], {
      require_tls: "EXTERNAL_ONLY",
    });
    expect(route(ext)?.action.kind).toBe("redirect");
    expect(route(ext, { headers: { "x-envoy-internal": "true" } })?.action.kind).toBe("forward");
  });
});

describe("direct_response", () => {
  it("returns the status and an inline string or bytes body", () => {
    const t = routes([
      { match: { path: "/s" }, direct_response: { status: 418, body: { inline_string: "teapot" } } },
      { match: { path: "/b" }, direct_response: { status: 200, body: { inline_bytes: btoa("hi") } } },
      { match: { path: "/e" }, direct_response: { status: 204 } },
    ]);
    expect(route(t, { path: "/s" })?.action).toMatchObject({
      kind: "direct_response",
      status: 418,
      body: "teapot",
    });
    expect(route(t, { path: "/b" })?.action).toMatchObject({
      status: 200,
      body: new TextEncoder().encode("hi"),
    });
    expect(route(t, { path: "/e" })?.action).toMatchObject({ status: 204, body: undefined });
  });
});

describe("rewrites", () => {
  it("prefix_rewrite replaces the matched prefix and keeps the query", () => {
    const t = routes([{ match: { prefix: "/api/" }, route: { cluster: "c", prefix_rewrite: "/" } }]);
    const f = forward(route(t, { path: "/api/users?id=1" }));
    expect(f.path).toBe("/users?id=1");
    expect(f.pathRewritten).toBe(true);
  });

  it("prefix_rewrite on an exact path route replaces the whole path", () => {
    const t = routes([{ match: { path: "/old" }, route: { cluster: "c", prefix_rewrite: "/new" } }]);
    expect(forward(route(t, { path: "/old?q=1" })).path).toBe("/new?q=1");
  });

  it("regex_rewrite substitutes every match (RE2 \\1 → JS) in the path only", () => {
    const t = routes([
      {
        match: { prefix: "/svc/" },
        route: {
          cluster: "c",
          regex_rewrite: { pattern: { regex: "^/svc/([^/]+)/(.*)$" }, substitution: "/\\2/\\1" },
        },
      },
      {
        match: { prefix: "/" },
        route: { cluster: "c", regex_rewrite: { pattern: { regex: "o" }, substitution: "0" } },
      },
    ]);
    expect(forward(route(t, { path: "/svc/users/list?o=o" })).path).toBe("/list/users?o=o");
    expect(forward(route(t, { path: "/foo/boo?o" })).path).toBe("/f00/b00?o");
  });

  it("leaves the path alone without rewrites", () => {
    const f = forward(route(routes([{ match: { prefix: "/" }, route: { cluster: "c" } }]), { path: "/x?y" }));
    expect(f.path).toBe("/x?y");
    expect(f.pathRewritten).toBe(false);
    expect(f.host).toBeUndefined();
  });

  it("host_rewrite_literal, host_rewrite_header and host_rewrite_path_regex", () => {
    const t = routes([
      { match: { prefix: "/lit" }, route: { cluster: "c", host_rewrite_literal: "upstream.local" } },
      { match: { prefix: "/hdr" }, route: { cluster: "c", host_rewrite_header: "X-Host" } },
      {
        match: { prefix: "/rx" },
        route: {
          cluster: "c",
          host_rewrite_path_regex: { pattern: { regex: "^/rx/([^/]+).*$" }, substitution: "\\1.svc" },
        },
      },
      { match: { prefix: "/auto" }, route: { cluster: "c", auto_host_rewrite: true } },
    ]);
    expect(forward(route(t, { path: "/lit" })).host).toBe("upstream.local");
    expect(forward(route(t, { path: "/hdr", headers: { "x-host": "h.example" } })).host).toBe("h.example");
    expect(forward(route(t, { path: "/hdr" })).host).toBeUndefined();
    expect(forward(route(t, { path: "/rx/orders/1?q" })).host).toBe("orders.svc");
    const auto = forward(route(t, { path: "/auto" }));
    expect(auto.host).toBeUndefined();
    expect(auto.policy.hostRewrite).toEqual({ kind: "auto" });
  });
});

describe("forward policy", () => {
  it("defaults the timeout to 15 s, honours 0 (none) and idle_timeout", () => {
    const t = routes([
      { match: { path: "/d" }, route: { cluster: "c" } },
      { match: { path: "/z" }, route: { cluster: "c", timeout: "0s", idle_timeout: "2.5s" } },
    ]);
    expect(forward(route(t, { path: "/d" })).policy).toMatchObject({
      timeoutMs: 15_000,
      idleTimeoutMs: undefined,
    });
    expect(forward(route(t, { path: "/z" })).policy).toMatchObject({ timeoutMs: 0, idleTimeoutMs: 2500 });
  });

  it("uses the route's retry policy, else the virtual host's", () => {
    const t = routes(
      [
        {
          match: { path: "/own" },
          route: { cluster: "c", retry_policy: { retry_on: "5xx", num_retries: 5 } },
        },
        { match: { path: "/inherit" }, route: { cluster: "c" } },
      ],
      { retry_policy: { retry_on: "reset" } },
    );
    expect(forward(route(t, { path: "/own" })).policy.retryPolicy?.numRetries).toBe(5);
    expect(forward(route(t, { path: "/inherit" })).policy.retryPolicy?.numRetries).toBe(1);
    const none = routes([{ match: { prefix: "/" }, route: { cluster: "c" } }]);
    expect(forward(route(none)).policy.retryPolicy).toBeUndefined();
  });

  it("enables or disables upgrades per route", () => {
    const t = routes([
      { match: { path: "/ws" }, route: { cluster: "c", upgrade_configs: [{ upgrade_type: "WebSocket" }] } },
      {
        match: { path: "/no" },
        route: { cluster: "c", upgrade_configs: [{ upgrade_type: "websocket", enabled: false }] },
      },
      { match: { path: "/plain" }, route: { cluster: "c" } },
    ]);
    expect(routeUpgradeEnabled(forward(route(t, { path: "/ws" })).policy, "websocket")).toBe(true);
    expect(routeUpgradeEnabled(forward(route(t, { path: "/no" })).policy, "WEBSOCKET")).toBe(false);
    expect(routeUpgradeEnabled(forward(route(t, { path: "/plain" })).policy, "websocket")).toBeUndefined();
  });

  it("exposes max_stream_duration and hash policy", () => {
    const t = routes([{
      match: { prefix: "/" },
      route: {
        cluster: "c",
        max_stream_duration: { max_stream_duration: "30s", grpc_timeout_header_max: "0s" },
        hash_policy: [{ header: { header_name: "x-user" } }],
      },
    }]);
    const p = forward(route(t)).policy;
    expect(p.maxStreamDurationMs).toBe(30_000);
    expect(p.grpcTimeoutHeaderMaxMs).toBe(0);
    expect(p.hashPolicy?.entries).toHaveLength(1);
  });
});
