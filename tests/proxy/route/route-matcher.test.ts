import { describe, expect, it } from "vitest";
import type { JsonValue } from "@bufbuild/protobuf";
import { routeName, routes, table } from "./helpers.ts";

describe("path matching", () => {
  it("prefix matches the path including its query", () => {
    const t = routes([{ name: "p", match: { prefix: "/api" }, route: { cluster: "c" } }]);
    expect(routeName(t, { path: "/api" })).toBe("p");
    expect(routeName(t, { path: "/apis/x?y=1" })).toBe("p");
    expect(routeName(t, { path: "/API" })).toBeUndefined();
    expect(routeName(t, { path: "/ap" })).toBeUndefined();
  });

  it("path is exact, ignoring the query string", () => {
    const t = routes([{ name: "e", match: { path: "/exact" }, route: { cluster: "c" } }]);
    expect(routeName(t, { path: "/exact" })).toBe("e");
    expect(routeName(t, { path: "/exact?x=1" })).toBe("e");
    expect(routeName(t, { path: "/exact/" })).toBeUndefined();
    expect(routeName(t, { path: "/exactly" })).toBeUndefined();
  });

  it("safe_regex must match the whole path without query", () => {
    const t = routes([{
      name: "r",
      match: { safe_regex: { regex: "/users/[0-9]+" } },
      route: { cluster: "c" },
    }]);
    expect(routeName(t, { path: "/users/42" })).toBe("r");
    expect(routeName(t, { path: "/users/42?q=x" })).toBe("r");
    expect(routeName(t, { path: "/users/42/posts" })).toBeUndefined();
    expect(routeName(t, { path: "/v1/users/42" })).toBeUndefined();
  });

  it("safe_regex alternation is anchored as a whole", () => {
    const t = routes([{ name: "r", match: { safe_regex: { regex: "/a|/b" } }, route: { cluster: "c" } }]);
    expect(routeName(t, { path: "/a" })).toBe("r");
    expect(routeName(t, { path: "/b" })).toBe("r");
    expect(routeName(t, { path: "/ab" })).toBeUndefined();
    expect(routeName(t, { path: "/x/b" })).toBeUndefined();
  });

  it("path_separated_prefix matches the prefix alone or followed by /", () => {
    const t = routes([{ name: "s", match: { path_separated_prefix: "/api" }, route: { cluster: "c" } }]);
    expect(routeName(t, { path: "/api" })).toBe("s");
    expect(routeName(t, { path: "/api/v1" })).toBe("s");
    expect(routeName(t, { path: "/api?x" })).toBe("s");
    expect(routeName(t, { path: "/apis" })).toBeUndefined();
  });

  it("case_sensitive: false folds prefix, path and path_separated_prefix", () => {
    const t = routes([
      { name: "p", match: { prefix: "/Upper", case_sensitive: false }, route: { cluster: "c" } },
      { name: "e", match: { path: "/Exact", case_sensitive: false }, route: { cluster: "c" } },
      { name: "s", match: { path_separated_prefix: "/Sep", case_sensitive: false }, route: { cluster: "c" } },
    ]);
    expect(routeName(t, { path: "/uPPER/x" })).toBe("p");
    expect(routeName(t, { path: "/EXACT?Q" })).toBe("e");
    expect(routeName(t, { path: "/sep/x" })).toBe("s");
    expect(routeName(t, { path: "/sepx" })).toBeUndefined();
  });

  it("RE2 syntax: named groups, leading (?i), POSIX classes and \\z", () => {
    const t = routes([
      {
        name: "named",
        match: { safe_regex: { regex: "/n/(?P<id>[[:digit:]]+)\\z" } },
        route: { cluster: "c" },
      },
      { name: "ci", match: { safe_regex: { regex: "(?i)/CaSe" } }, route: { cluster: "c" } },
      { name: "esc", match: { safe_regex: { regex: "/a\\-b\\Q.*\\E" } }, route: { cluster: "c" } },
    ]);
    expect(routeName(t, { path: "/n/123" })).toBe("named");
    expect(routeName(t, { path: "/n/12a" })).toBeUndefined();
    expect(routeName(t, { path: "/CASE" })).toBe("ci");
    expect(routeName(t, { path: "/a-b.*" })).toBe("esc");
    expect(routeName(t, { path: "/a-bxx" })).toBeUndefined();
  });

  it("connect_matcher matches CONNECT requests only", () => {
    const t = routes([{ name: "c", match: { connect_matcher: {} }, route: { cluster: "c" } }]);
    expect(routeName(t, { method: "CONNECT", path: "" })).toBe("c");
    expect(routeName(t, { method: "GET" })).toBeUndefined();
  });

  it("ignore_path_parameters_in_path_matching strips ;params before matching", () => {
    const json = (ignore: boolean) => ({
      ignore_path_parameters_in_path_matching: ignore,
      virtual_hosts: [{
        name: "v",
        domains: ["*"],
        routes: [{ name: "e", match: { path: "/a/b" }, route: { cluster: "c" } }],
      }],
    });
    expect(routeName(table(json(true)), { path: "/a;x=1/b;y?q" })).toBe("e");
    expect(routeName(table(json(false)), { path: "/a;x=1/b;y?q" })).toBeUndefined();
  });
});

describe("first match wins", () => {
  it("returns the first route in order, not the most specific", () => {
    const t = routes([
      { name: "broad", match: { prefix: "/" }, route: { cluster: "a" } },
      { name: "narrow", match: { prefix: "/api" }, route: { cluster: "b" } },
    ]);
    expect(routeName(t, { path: "/api" })).toBe("broad");
    const t2 = routes([
      { name: "narrow", match: { prefix: "/api" }, route: { cluster: "b" } },
      { name: "broad", match: { prefix: "/" }, route: { cluster: "a" } },
    ]);
    expect(routeName(t2, { path: "/api" })).toBe("narrow");
    expect(routeName(t2, { path: "/web" })).toBe("broad");
  });

  it("falls through to later routes when headers do not match", () => {
    const t = routes([
      {
        name: "canary",
        match: { prefix: "/", headers: [{ name: "x-canary", string_match: { exact: "1" } }] },
        route: { cluster: "canary" },
      },
      { name: "stable", match: { prefix: "/" }, route: { cluster: "stable" } },
    ]);
    expect(routeName(t, { headers: { "x-canary": "1" } })).toBe("canary");
    expect(routeName(t, { headers: { "x-canary": "0" } })).toBe("stable");
  });
});

function headerRoute(matcher: Record<string, JsonValue>) {
  return routes([{
    name: "h",
    match: { prefix: "/", headers: [{ name: "x-h", ...matcher }] },
    route: { cluster: "c" },
  }]);
}
const hit = (t: ReturnType<typeof routes>, value?: string | string[]) =>
  routeName(t, { headers: value === undefined ? {} : { "x-h": value } }) === "h";

describe("header matchers", () => {
  it("string_match exact / prefix / suffix / contains, with ignore_case", () => {
    expect(hit(headerRoute({ string_match: { exact: "Value" } }), "Value")).toBe(true);
    expect(hit(headerRoute({ string_match: { exact: "Value" } }), "value")).toBe(false);
    expect(hit(headerRoute({ string_match: { exact: "Value", ignore_case: true } }), "vALUE")).toBe(true);
    expect(hit(headerRoute({ string_match: { prefix: "ab" } }), "abc")).toBe(true);
    expect(hit(headerRoute({ string_match: { prefix: "ab" } }), "cab")).toBe(false);
    expect(hit(headerRoute({ string_match: { prefix: "AB", ignore_case: true } }), "abc")).toBe(true);
    expect(hit(headerRoute({ string_match: { suffix: "yz" } }), "xyz")).toBe(true);
    expect(hit(headerRoute({ string_match: { suffix: "YZ", ignore_case: true } }), "xyz")).toBe(true);
    expect(hit(headerRoute({ string_match: { suffix: "yz" } }), "yzx")).toBe(false);
    expect(hit(headerRoute({ string_match: { contains: "mid" } }), "amidst")).toBe(true);
    expect(hit(headerRoute({ string_match: { contains: "MID", ignore_case: true } }), "amidst")).toBe(true);
    expect(hit(headerRoute({ string_match: { contains: "mid" } }), "m-i-d")).toBe(false);
  });

  it("string_match safe_regex is a full match and ignores ignore_case", () => {
    const t = headerRoute({ string_match: { safe_regex: { regex: "v[0-9]+" }, ignore_case: true } });
    expect(hit(t, "v12")).toBe(true);
    expect(hit(t, "V12")).toBe(false);
    expect(hit(t, "v12x")).toBe(false);
  });

  it("legacy exact/prefix/suffix/contains/safe_regex fields", () => {
    expect(hit(headerRoute({ exact_match: "a" }), "a")).toBe(true);
    expect(hit(headerRoute({ exact_match: "a" }), "b")).toBe(false);
    expect(hit(headerRoute({ prefix_match: "pre" }), "prefix")).toBe(true);
    expect(hit(headerRoute({ suffix_match: "fix" }), "prefix")).toBe(true);
    expect(hit(headerRoute({ suffix_match: "pre" }), "prefix")).toBe(false);
    expect(hit(headerRoute({ contains_match: "efi" }), "prefix")).toBe(true);
    expect(hit(headerRoute({ safe_regex_match: { regex: "\\d{3}" } }), "123")).toBe(true);
    expect(hit(headerRoute({ safe_regex_match: { regex: "\\d{3}" } }), "1234")).toBe(false);
  });

  it("present_match true / false and the default (no specifier = present)", () => {
    expect(hit(headerRoute({ present_match: true }), "x")).toBe(true);
    expect(hit(headerRoute({ present_match: true }))).toBe(false);
    expect(hit(headerRoute({ present_match: false }))).toBe(true);
    expect(hit(headerRoute({ present_match: false }), "x")).toBe(false);
    expect(hit(headerRoute({}), "")).toBe(true);
    expect(hit(headerRoute({}))).toBe(false);
  });

  it("range_match is [start, end) over a base-10 integer", () => {
    const t = headerRoute({ range_match: { start: "-10", end: "0" } });
    expect(hit(t, "-1")).toBe(true);
    expect(hit(t, "-10")).toBe(true);
    expect(hit(t, "0")).toBe(false);
    expect(hit(t, "somestring")).toBe(false);
    expect(hit(t, "-1somestring")).toBe(false);
    expect(hit(t, "-1.5")).toBe(false);
  });

  it("invert_match inverts present values; a missing header still does not match", () => {
    const regex = headerRoute({ safe_regex_match: { regex: "\\d{3}" }, invert_match: true });
    expect(hit(regex, "1234")).toBe(true);
    expect(hit(regex, "123")).toBe(false);
    expect(hit(regex)).toBe(false);
    const range = headerRoute({ range_match: { start: "-10", end: "0" }, invert_match: true });
    expect(hit(range, "-1")).toBe(false);
    expect(hit(range, "5")).toBe(true);
    expect(hit(headerRoute({ present_match: true, invert_match: true }))).toBe(true);
    expect(hit(headerRoute({ present_match: true, invert_match: true }), "x")).toBe(false);
  });

  it("treat_missing_header_as_empty matches a missing header as the empty string", () => {
    const t = headerRoute({
      range_match: { start: "0", end: "10" },
      invert_match: true,
      treat_missing_header_as_empty: true,
    });
    expect(hit(t)).toBe(true);
    expect(
      hit(
        headerRoute({ string_match: { safe_regex: { regex: "^$" } }, treat_missing_header_as_empty: true }),
      ),
    ).toBe(true);
    expect(hit(headerRoute({ string_match: { exact: "" } }))).toBe(false);
  });

  it("joins repeated header values with ','", () => {
    expect(hit(headerRoute({ string_match: { exact: "a,b" } }), ["a", "b"])).toBe(true);
    expect(hit(headerRoute({ string_match: { exact: "a" } }), ["a", "b"])).toBe(false);
  });

  it("matches pseudo-headers :method, :authority and :path", () => {
    const t = routes([
      {
        name: "post",
        match: { prefix: "/", headers: [{ name: ":method", string_match: { exact: "POST" } }] },
        route: { cluster: "c" },
      },
      {
        name: "auth",
        match: { prefix: "/", headers: [{ name: ":authority", string_match: { suffix: ".internal" } }] },
        route: { cluster: "c" },
      },
    ]);
    expect(routeName(t, { method: "POST" })).toBe("post");
    expect(routeName(t, { authority: "svc.internal" })).toBe("auth");
    expect(routeName(t, {})).toBeUndefined();
  });

  it("requires every header matcher to match", () => {
    const t = routes([{
      name: "both",
      match: {
        prefix: "/",
        headers: [{ name: "a", present_match: true }, { name: "b", string_match: { exact: "2" } }],
      },
      route: { cluster: "c" },
    }]);
    expect(routeName(t, { headers: { a: "1", b: "2" } })).toBe("both");
    expect(routeName(t, { headers: { a: "1" } })).toBeUndefined();
    expect(routeName(t, { headers: { b: "2" } })).toBeUndefined();
  });
});

describe("query parameter matchers", () => {
  const t = routes([{
    name: "q",
    match: {
      prefix: "/",
      query_parameters: [
        { name: "debug", present_match: true },
        { name: "v", string_match: { prefix: "2", ignore_case: true } },
      ],
    },
    route: { cluster: "c" },
  }]);

  it("matches present and string-matched parameters", () => {
    expect(routeName(t, { path: "/?debug&v=2.1" })).toBe("q");
    expect(routeName(t, { path: "/x?v=20&debug=0" })).toBe("q");
  });

  it("fails on a missing or mismatched parameter, and uses the first value", () => {
    expect(routeName(t, { path: "/?v=2" })).toBeUndefined();
    expect(routeName(t, { path: "/?debug&v=1&v=2" })).toBeUndefined();
    expect(routeName(t, { path: "/?debugging&v=2" })).toBeUndefined();
    expect(routeName(t, { path: "/" })).toBeUndefined();
  });

  it("does not read parameters from the fragment", () => {
    expect(routeName(t, { path: "/?v=2#debug" })).toBeUndefined();
  });
});

describe("runtime_fraction", () => {
  const fraction = (numerator: number, denominator: string) =>
    routes([
      {
        name: "f",
        match: {
          prefix: "/",
          runtime_fraction: { default_value: { numerator, denominator }, runtime_key: "k" },
        },
        route: { cluster: "c" },
      },
      { name: "rest", match: { prefix: "/" }, route: { cluster: "d" } },
    ]);

  it("compares the request's random draw with the fraction (HUNDRED, TEN_THOUSAND, MILLION)", () => {
    expect(routeName(fraction(30, "HUNDRED"), { random: () => 0.29 })).toBe("f");
    expect(routeName(fraction(30, "HUNDRED"), { random: () => 0.3 })).toBe("rest");
    expect(routeName(fraction(1, "TEN_THOUSAND"), { random: () => 0.00009 })).toBe("f");
    expect(routeName(fraction(1, "TEN_THOUSAND"), { random: () => 0.0001 })).toBe("rest");
    expect(routeName(fraction(500_000, "MILLION"), { random: () => 0.4999 })).toBe("f");
    expect(routeName(fraction(500_000, "MILLION"), { random: () => 0.5 })).toBe("rest");
    expect(routeName(fraction(0, "HUNDRED"), { random: () => 0 })).toBe("rest");
  });

  it("draws once per request, shared by every route", () => {
    let calls = 0;
    const t = routes([
      {
        name: "a",
        match: { prefix: "/", runtime_fraction: { default_value: { numerator: 10 } } },
        route: { cluster: "a" },
      },
      {
        name: "b",
        match: { prefix: "/", runtime_fraction: { default_value: { numerator: 20 } } },
        route: { cluster: "b" },
      },
    ]);
    expect(routeName(t, { random: () => (calls++, 0.15) })).toBe("b");
    expect(calls).toBe(1);
  });
});

describe("grpc match", () => {
  const t = routes([
    { name: "grpc", match: { prefix: "/", grpc: {} }, route: { cluster: "g" } },
    { name: "http", match: { prefix: "/" }, route: { cluster: "h" } },
  ]);
  it("matches gRPC content types only", () => {
    expect(routeName(t, { headers: { "content-type": "application/grpc" } })).toBe("grpc");
    expect(routeName(t, { headers: { "content-type": "application/grpc+proto" } })).toBe("grpc");
    expect(routeName(t, { headers: { "content-type": "application/json" } })).toBe("http");
    expect(routeName(t, { headers: { "content-type": "application/grpc-web" } })).toBe("http");
    expect(routeName(t, {})).toBe("http");
  });
});
