// Which mesh VirtualService routes a host (exact over wildcard, longest wildcard, first of equals), and domains.
import { describe, expect, it } from "vitest";
import { createTranslateContext } from "../../../control/translate/context.ts";
import {
  claimDomains,
  meshVirtualService,
  sidecarDomains,
} from "../../../control/translate/virtual-hosts.ts";
import { obj, pushFor, service, sidecar } from "./bookinfo.ts";

const HOST = "reviews.default.svc.cluster.local";

const vs = (name: string, hosts: string[], extra: Record<string, unknown> = {}, namespace = "default") =>
  obj("VirtualService", name, {
    hosts,
    http: [{ route: [{ destination: { host: HOST } }] }],
    ...extra,
  }, { namespace });

function pick(config: ReturnType<typeof vs>[], host = HOST, namespace = "default") {
  const warnings: string[] = [];
  const push = pushFor([service("reviews"), service("ratings"), ...config]);
  const ctx = createTranslateContext(
    push,
    sidecar("productpage", "v1", "10.0.0.10", namespace),
    (w) => warnings.push(w),
  );
  return { name: meshVirtualService(ctx, host)?.name, warnings };
}

describe("meshVirtualService", () => {
  it("prefers an exact host to any wildcard, and a longer wildcard to a shorter one", () => {
    const all = vs("all", ["*"]);
    const suffix = vs("suffix", ["*.default.svc.cluster.local"]);
    const exact = vs("exact", ["ratings.default.svc.cluster.local", HOST]);
    expect(pick([all, suffix, exact]).name).toBe("exact");
    expect(pick([exact, suffix, all]).name).toBe("exact");
    expect(pick([all, suffix]).name).toBe("suffix");
    expect(pick([all]).name).toBe("all");
    expect(pick([vs("other", ["details.default.svc.cluster.local"])]).name).toBeUndefined();
  });

  it("takes the first in config order among equals and reports the others", () => {
    const a = vs("a", [HOST]);
    const b = vs("b", ["*.cluster.local", HOST]); // the exact host counts, not the wildcard
    const c = vs("c", [HOST]);
    const { name, warnings } = pick([a, b, c]);
    expect(name).toBe("a");
    expect(warnings).toEqual([
      `host ${HOST}: VirtualServices default/b, default/c are ignored; default/a routes it`,
    ]);
    expect(pick([b, a]).name).toBe("b");
  });

  it("skips VirtualServices without http routes or not exported to the proxy's namespace", () => {
    const tcpOnly = vs("tcp", [HOST], { http: [], tcp: [{ route: [{ destination: { host: HOST } }] }] });
    const hidden = vs("hidden", [HOST], { exportTo: ["."] }, "other");
    const wildcard = vs("wild", ["*.svc.cluster.local"]);
    expect(pick([tcpOnly, hidden, wildcard]).name).toBe("wild");
    expect(pick([tcpOnly, hidden, wildcard], HOST, "other").name).toBe("hidden");
  });
});

describe("sidecar domains", () => {
  it("lists the short name in the service's own namespace only, and shares each list between proxy classes", () => {
    const push = pushFor([service("reviews")]);
    const svc = push.services[0];
    const domainsFor = (namespace: string) =>
      sidecarDomains(createTranslateContext(push, sidecar("a", "v1", "10.0.0.9", namespace)), svc, 9080);
    expect(domainsFor("default")).toContain("reviews");
    expect(domainsFor("shop")).not.toContain("reviews");
    expect(domainsFor("shop")).toContain("reviews.default");
    expect(domainsFor("shop")).toBe(domainsFor("ops"));
  });

  it("claims each domain once per route configuration, case-insensitively", () => {
    const used = new Set<string>();
    const first = ["a.example", "B.example"];
    expect(claimDomains(used, first)).toBe(first);
    expect(claimDomains(used, ["b.EXAMPLE", "c.example"])).toEqual(["c.example"]);
    expect(claimDomains(used, ["A.example"])).toEqual([]);
  });
});
