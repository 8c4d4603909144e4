import { describe, expect, it } from "vitest";
import { route, table } from "./helpers.ts";
import type { JsonValue } from "@bufbuild/protobuf";

function vhosts(domains: Record<string, string[]>, extra: Record<string, JsonValue> = {}) {
  return table({
    ...extra,
    virtual_hosts: Object.entries(domains).map(([name, d]) => ({
      name,
      domains: d,
      routes: [{ match: { prefix: "/" }, route: { cluster: name } }],
    })),
  });
}

const vhostOf = (t: ReturnType<typeof table>, authority: string) => route(t, { authority })?.virtualHost.name;

describe("virtual host selection", () => {
  const t = vhosts({
    exact: ["api.foo.com", "api.foo.com:8443"],
    suffix: ["*.foo.com"],
    longSuffix: ["*.bar.foo.com"],
    dashSuffix: ["*-bar.foo.com"],
    prefix: ["foo.*"],
    longPrefix: ["foo.bar.*"],
    fallback: ["*"],
  });

  it("prefers exact over every wildcard, case-insensitively", () => {
    expect(vhostOf(t, "api.foo.com")).toBe("exact");
    expect(vhostOf(t, "API.Foo.COM")).toBe("exact");
  });

  it("picks the longest suffix wildcard", () => {
    expect(vhostOf(t, "x.foo.com")).toBe("suffix");
    expect(vhostOf(t, "x.bar.foo.com")).toBe("longSuffix");
    expect(vhostOf(t, "baz-bar.foo.com")).toBe("dashSuffix");
  });

  it("needs the wildcard to match at least one character", () => {
    expect(vhostOf(t, ".bar.foo.com")).toBe("suffix");
    expect(vhostOf(t, "-bar.foo.com")).toBe("suffix");
    expect(vhostOf(t, "foo.com")).toBe("prefix"); // *.foo.com needs a label before ".foo.com"
    expect(vhostOf(t, "bar.foo.co")).toBe("fallback");
    expect(vhostOf(t, "foo.")).toBe("fallback");
  });

  it("takes suffix wildcards before prefix wildcards, and the longest prefix first", () => {
    expect(vhostOf(t, "foo.foo.com")).toBe("suffix");
    expect(vhostOf(t, "foo.org")).toBe("prefix");
    expect(vhostOf(t, "foo.bar.org")).toBe("longPrefix");
  });

  it("falls back to * last", () => {
    expect(vhostOf(t, "elsewhere.net")).toBe("fallback");
  });

  it("matches the full authority first, then retries without the port", () => {
    expect(vhostOf(t, "api.foo.com:8443")).toBe("exact");
    expect(vhostOf(t, "api.foo.com:9000")).toBe("exact");
    expect(vhostOf(t, "x.foo.com:80")).toBe("suffix");
    expect(vhostOf(t, "foo.org:80")).toBe("prefix");
  });

  it("handles IPv6 authorities with ports", () => {
    const v6 = vhosts({ ip: ["[::1]"], other: ["*"] });
    expect(vhostOf(v6, "[::1]:8080")).toBe("ip");
    expect(vhostOf(v6, "[::1]")).toBe("ip");
  });

  it("strips the port first with ignore_port_in_host_matching", () => {
    const ignore = vhosts({ withPort: ["a.com:8080"], plain: ["a.com"] }, {
      ignore_port_in_host_matching: true,
    });
    expect(vhostOf(ignore, "a.com:8080")).toBe("plain");
    const keep = vhosts({ withPort: ["a.com:8080"], plain: ["a.com"] });
    expect(vhostOf(keep, "a.com:8080")).toBe("withPort");
  });

  it("returns undefined when nothing matches and there is no *", () => {
    const t2 = vhosts({ only: ["only.com"] });
    expect(route(t2, { authority: "other.com" })).toBeUndefined();
  });

  it("serves a lone * virtual host for every authority", () => {
    const t3 = vhosts({ all: ["*"] });
    expect(vhostOf(t3, "anything:1234")).toBe("all");
  });
});
