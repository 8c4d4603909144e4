// Real-socket routing through the proxy with real curl: every route match type and virtual-host domain form.
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

const NAMES = [
  "prefix",
  "exact",
  "regex",
  "sep",
  "nocase",
  "h_exact",
  "h_prefix",
  "h_suffix",
  "h_contains",
  "h_regex",
  "h_present",
  "h_invert",
  "query",
  "frac_none",
  "frac_all",
  "vh_exact",
  "vh_suffix",
  "vh_prefix",
  "vh_any",
] as const;

const ROUTES = `
name: local
virtual_hosts:
  - name: main
    domains: ["main.test"]
    routes:
      - match: { path: /exact/thing }
        route: { cluster: exact }
      - match: { safe_regex: { regex: "/items/[0-9]+" } }
        route: { cluster: regex }
      - match: { path_separated_prefix: /sep }
        route: { cluster: sep }
      - match: { prefix: /CaseLess, case_sensitive: false }
        route: { cluster: nocase }
      - match: { prefix: /h, headers: [{ name: x-exact, string_match: { exact: gold } }] }
        route: { cluster: h_exact }
      - match: { prefix: /h, headers: [{ name: x-prefix, string_match: { prefix: ab } }] }
        route: { cluster: h_prefix }
      - match: { prefix: /h, headers: [{ name: x-suffix, string_match: { suffix: yz } }] }
        route: { cluster: h_suffix }
      - match: { prefix: /h, headers: [{ name: x-contains, string_match: { contains: mid } }] }
        route: { cluster: h_contains }
      - match: { prefix: /h, headers: [{ name: x-regex, string_match: { safe_regex: { regex: "v[0-9]+" } } }] }
        route: { cluster: h_regex }
      - match: { prefix: /h, headers: [{ name: x-present, present_match: true }] }
        route: { cluster: h_present }
      - match: { prefix: /h, headers: [{ name: x-mode, string_match: { exact: off }, invert_match: true }] }
        route: { cluster: h_invert }
      - match:
          prefix: /t
          headers: [{ name: x-mode, string_match: { exact: off }, invert_match: true, treat_missing_header_as_empty: true }]
        route: { cluster: h_invert }
      - match:
          prefix: /q
          query_parameters:
            - { name: debug, string_match: { exact: "1" } }
        route: { cluster: query }
      - match:
          prefix: /frac
          runtime_fraction: { default_value: { numerator: 0, denominator: HUNDRED }, runtime_key: routing.none }
        route: { cluster: frac_none }
      - match:
          prefix: /frac
          runtime_fraction: { default_value: { numerator: 100, denominator: HUNDRED }, runtime_key: routing.all }
        route: { cluster: frac_all }
      - match: { prefix: /p/ }
        route: { cluster: prefix }
  - name: exact-host
    domains: ["www.example.com"]
    routes: [{ match: { prefix: / }, route: { cluster: vh_exact } }]
  - name: suffix-host
    domains: ["*.example.com"]
    routes: [{ match: { prefix: / }, route: { cluster: vh_suffix } }]
  - name: prefix-host
    domains: ["api.*"]
    routes: [{ match: { prefix: / }, route: { cluster: vh_prefix } }]
  - name: any-host
    domains: ["*"]
    routes: [{ match: { prefix: / }, route: { cluster: vh_any } }]
`;

const upstreams = new Map<string, Upstream>();
let proxy: TestProxy;

beforeAll(async () => {
  for (const name of NAMES) upstreams.set(name, await startUpstream(name));
  const clusters = NAMES.map((n) => staticCluster(n, [upstreams.get(n)!.port])).join("");
  proxy = await startProxy(httpBootstrap({ routes: ROUTES, clusters }));
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all([...upstreams.values()].map((u) => u.close()));
});

const url = (path: string) => `http://127.0.0.1:${proxy.port()}${path}`;

/** The cluster (= upstream name) that served the request, or the local status when none did. */
async function routed(
  path: string,
  headers: Record<string, string> = {},
  host = "main.test",
): Promise<string> {
  const args = ["-H", `Host: ${host}`];
  // curl drops "name:" headers; "name;" sends the header with an empty value.
  for (const [k, v] of Object.entries(headers)) args.push("-H", v === "" ? `${k};` : `${k}: ${v}`);
  const res = await curl([...args, url(path)]);
  if (res.status !== 200) return `status ${res.status}`;
  expect(res.headers["x-upstream"]).toBe(res.body);
  return res.body;
}

describe("route match types", () => {
  it("prefix matches the leading path and nothing shorter", async () => {
    expect(await routed("/p/anything/below")).toBe("prefix");
    expect(await routed("/p/")).toBe("prefix");
    expect(await routed("/p")).toBe("status 404");
  });

  it("path is exact, ignores the query string and is case-sensitive", async () => {
    expect(await routed("/exact/thing")).toBe("exact");
    expect(await routed("/exact/thing?a=1&b=2")).toBe("exact");
    expect(await routed("/exact/thing/more")).toBe("status 404");
    expect(await routed("/exact/Thing")).toBe("status 404");
    expect(upstreams.get("exact")!.seen.at(-1)!.url).toBe("/exact/thing?a=1&b=2");
  });

  it("safe_regex must match the whole path (query excluded)", async () => {
    expect(await routed("/items/42")).toBe("regex");
    expect(await routed("/items/42?x=y")).toBe("regex");
    expect(await routed("/items/42a")).toBe("status 404");
    expect(await routed("/items/")).toBe("status 404");
  });

  it("path_separated_prefix matches the segment itself and below it only", async () => {
    expect(await routed("/sep")).toBe("sep");
    expect(await routed("/sep/child")).toBe("sep");
    expect(await routed("/sep?q=1")).toBe("sep");
    expect(await routed("/separate")).toBe("status 404");
  });

  it("case_sensitive: false matches the prefix in any case", async () => {
    expect(await routed("/caseless/x")).toBe("nocase");
    expect(await routed("/CASELESS")).toBe("nocase");
    expect(await routed("/CaseLess")).toBe("nocase");
  });

  it("header matchers: exact, prefix, suffix, contains, regex, present", async () => {
    expect(await routed("/h", { "x-exact": "gold" })).toBe("h_exact");
    expect(await routed("/h", { "x-exact": "golden", "x-mode": "off" })).toBe("status 404");
    expect(await routed("/h", { "x-prefix": "abc", "x-mode": "off" })).toBe("h_prefix");
    expect(await routed("/h", { "x-prefix": "xab", "x-mode": "off" })).toBe("status 404");
    expect(await routed("/h", { "x-suffix": "xyz", "x-mode": "off" })).toBe("h_suffix");
    expect(await routed("/h", { "x-suffix": "yzx", "x-mode": "off" })).toBe("status 404");
    expect(await routed("/h", { "x-contains": "amidst", "x-mode": "off" })).toBe("h_contains");
    expect(await routed("/h", { "x-regex": "v12", "x-mode": "off" })).toBe("h_regex");
    // The regex must match the whole value.
    expect(await routed("/h", { "x-regex": "v12b", "x-mode": "off" })).toBe("status 404");
    expect(await routed("/h", { "x-present": "anything", "x-mode": "off" })).toBe("h_present");
    expect(await routed("/h", { "x-present": "", "x-mode": "off" })).toBe("h_present");
    expect(await routed("/h", { "x-other": "1", "x-mode": "off" })).toBe("status 404");
  });

  it("invert_match selects a differing value; an absent header matches only with treat_missing_header_as_empty", async () => {
    expect(await routed("/h", { "x-mode": "on" })).toBe("h_invert");
    expect(await routed("/h", { "x-mode": "off" })).toBe("status 404");
    // Envoy: without treat_missing_header_as_empty an absent header never matches, inverted or not.
    expect(await routed("/h")).toBe("status 404");
    expect(await routed("/t")).toBe("h_invert");
    expect(await routed("/t", { "x-mode": "on" })).toBe("h_invert");
    expect(await routed("/t", { "x-mode": "off" })).toBe("status 404");
  });

  it("query_parameters match on the decoded parameter value", async () => {
    expect(await routed("/q?debug=1")).toBe("query");
    expect(await routed("/q?x=2&debug=1")).toBe("query");
    expect(await routed("/q?debug=0")).toBe("status 404");
    expect(await routed("/q")).toBe("status 404");
  });

  it("runtime_fraction 0% never matches and 100% always does", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(await routed(`/frac/${i}`));
    expect([...seen]).toEqual(["frac_all"]);
    expect(upstreams.get("frac_none")!.seen).toHaveLength(0);
  });
});

describe("virtual host domains", () => {
  it("exact beats *.suffix, which beats prefix.*, which beats *", async () => {
    expect(await routed("/", {}, "www.example.com")).toBe("vh_exact");
    expect(await routed("/", {}, "WWW.Example.COM")).toBe("vh_exact");
    expect(await routed("/", {}, "shop.example.com")).toBe("vh_suffix");
    expect(await routed("/", {}, "api.example.com")).toBe("vh_suffix");
    expect(await routed("/", {}, "api.other.org")).toBe("vh_prefix");
    expect(await routed("/", {}, "elsewhere.org")).toBe("vh_any");
    // "*.example.com" needs at least one character before the suffix.
    expect(await routed("/", {}, "example.com")).toBe("vh_any");
  });

  it("a Host with a port matches the domain without it", async () => {
    expect(await routed("/", {}, "www.example.com:8080")).toBe("vh_exact");
    expect(await routed("/", {}, "shop.example.com:1234")).toBe("vh_suffix");
  });

  it("the upstream sees the original Host", async () => {
    await routed("/", {}, "shop.example.com");
    expect(upstreams.get("vh_suffix")!.seen.at(-1)!.headers.host).toBe("shop.example.com");
  });
});
