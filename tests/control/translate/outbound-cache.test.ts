// Memoized translation: proxies of one class share resources, others do not, and results equal a cold build.
import { type Message, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import type { ConfigObject, ProxyIdentity } from "../../../control/model/types.ts";
import { forgetLastingMemos, outboundKey } from "../../../control/translate/outbound-cache.ts";
import { buildProxyResources, type ProxyResources } from "../../../control/translate/proxy-resources.ts";
import { resourceTypeOf } from "../../../control/xds/resource-types.ts";
import { createPushContext } from "../../../control/push-context/push-context.ts";
import { warmUp } from "../../../control/warm-up.ts";
import { buildKubernetesContents } from "../../../control/registry/kubernetes.ts";
import {
  BOOKINFO_ISTIO,
  BOOKINFO_KUBE,
  GRPC_CLIENT,
  obj,
  pod,
  pushFor,
  service,
  sidecar,
} from "./bookinfo.ts";

/** Every resource as "type name → bytes (hex)", plus the warnings: equal when translation is equal. */
function fingerprint(r: ProxyResources): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of [...r.listeners, ...r.routes, ...r.clusters, ...r.endpoints] as Message[]) {
    const type = resourceTypeOf(m)!;
    const named = m as Message & { name?: string; clusterName?: string };
    out[`${type.short} ${named.clusterName ?? named.name}`] = Buffer.from(toBinary(type.schema, m)).toString(
      "hex",
    );
  }
  out.warnings = [...r.warnings].sort().join("\n");
  return out;
}

const OTHER_NS: readonly ConfigObject[] = [
  obj("Service", "web", { selector: { app: "web" }, ports: [{ name: "http", port: 9080 }] }, {
    namespace: "shop",
  }),
  { ...pod("web", "v1", "10.0.5.1"), namespace: "shop" },
];

/** Config whose translation depends on labels: a DestinationRule workloadSelector and a sourceLabels match. */
const LABEL_DEPENDENT: readonly ConfigObject[] = [
  obj("DestinationRule", "ratings-for-reviews", {
    host: "ratings",
    workloadSelector: { matchLabels: { app: "reviews" } },
    trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" } },
  }),
  obj("VirtualService", "details", {
    hosts: ["details"],
    http: [
      { match: [{ sourceLabels: { app: "productpage" } }], route: [{ destination: { host: "details" } }] },
      { route: [{ destination: { host: "ratings" } }] },
    ],
  }),
];

const PROXIES: readonly ProxyIdentity[] = [
  sidecar("productpage", "v1", "10.0.0.10"),
  sidecar("reviews", "v1", "10.0.0.21"),
  sidecar("reviews", "v2", "10.0.0.22"),
  sidecar("ratings", "v1", "10.0.0.31"),
  sidecar("web", "v1", "10.0.5.1", "shop"),
];

describe("memoized outbound translation", () => {
  for (
    const [label, config] of [
      ["label-independent config", [...BOOKINFO_KUBE, ...BOOKINFO_ISTIO, ...OTHER_NS]],
      ["label-dependent config", [...BOOKINFO_KUBE, ...BOOKINFO_ISTIO, ...OTHER_NS, ...LABEL_DEPENDENT]],
    ] as const
  ) {
    it(`gives every proxy what a cold build gives it (${label})`, () => {
      const cold = PROXIES.map((p) => {
        forgetLastingMemos();
        return fingerprint(buildProxyResources(pushFor(config), p));
      });
      forgetLastingMemos();
      const push = pushFor(config);
      // Twice over, in both orders: nothing one proxy computed may leak into another's result.
      const warm = [...PROXIES, ...[...PROXIES].reverse()].map((p) =>
        fingerprint(buildProxyResources(push, p))
      );
      PROXIES.forEach((_, i) => {
        expect(warm[i]).toEqual(cold[i]);
        expect(warm[warm.length - 1 - i]).toEqual(cold[i]);
      });
    });

    it(`gives every proxy what a cold build gives it after the control plane's warm-up (${label})`, () => {
      const cold = PROXIES.map((p) => {
        forgetLastingMemos();
        return fingerprint(buildProxyResources(pushFor(config), p));
      });
      forgetLastingMemos();
      const push = pushFor(config);
      expect(warmUp(() => push, (line) => expect.fail(line))).toBeGreaterThan(0);
      PROXIES.forEach((p, i) => expect(fingerprint(buildProxyResources(push, p))).toEqual(cold[i]));
    });
  }

  it("shares resources within a class and keys classes by namespace, and by labels only when config needs them", () => {
    const plain = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO, ...OTHER_NS]);
    const [productpage, reviews1, reviews2, , web] = PROXIES;
    expect(outboundKey(plain, reviews1)).toBe(outboundKey(plain, reviews2));
    expect(outboundKey(plain, reviews1)).toBe(outboundKey(plain, productpage));
    expect(outboundKey(plain, reviews1)).not.toBe(outboundKey(plain, web));
    const a = buildProxyResources(plain, reviews1);
    const b = buildProxyResources(plain, reviews2);
    expect(b.routes[0]).toBe(a.routes[0]);
    expect(b.endpoints[0]).toBe(a.endpoints[0]);
    // The short name "reviews" is a domain only for proxies in its namespace.
    const domains = (r: ProxyResources) =>
      r.routes.flatMap((rc) => rc.virtualHosts.flatMap((vh) => vh.domains));
    expect(domains(a)).toContain("reviews");
    expect(domains(buildProxyResources(plain, web))).not.toContain("reviews");

    const labelled = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO, ...OTHER_NS, ...LABEL_DEPENDENT]);
    expect(outboundKey(labelled, reviews1)).not.toBe(outboundKey(labelled, productpage));
  });

  it("gives classes that see the same load assignments one list, and a class that sees others its own", () => {
    const push = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO, ...OTHER_NS]);
    const [reviews, , , , web] = PROXIES; // namespaces "default" and "shop": two classes, the same services
    expect(outboundKey(push, reviews)).not.toBe(outboundKey(push, web));
    const a = buildProxyResources(push, reviews).endpoints;
    expect(buildProxyResources(push, web).endpoints).toBe(a);
    // A Sidecar that narrows what "shop" sees gives it a list of its own.
    const narrowed = pushFor([
      ...BOOKINFO_KUBE,
      ...BOOKINFO_ISTIO,
      ...OTHER_NS,
      obj("Sidecar", "default", { egress: [{ hosts: ["./*"] }] }, { namespace: "shop" }),
    ]);
    const own = buildProxyResources(narrowed, web).endpoints;
    expect(own).not.toBe(buildProxyResources(narrowed, reviews).endpoints);
    expect(own.length).toBeLessThan(a.length);
    // The next tests check which objects classes share: start them from a clean memo.
    forgetLastingMemos();
  });

  it("shares a service's default-route virtual host between classes that see the service alike", () => {
    const push = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO, ...OTHER_NS]);
    const web = PROXIES[4]; // namespace "shop"
    const tools = sidecar("tools", "v1", "10.0.6.1", "ops");
    const reviews = PROXIES[1]; // namespace "default", like the services below
    const vhost = (p: ProxyIdentity, name: string) =>
      buildProxyResources(push, p).routes.flatMap((rc) => rc.virtualHosts).find((vh) => vh.name === name)!;
    const DETAILS = "details.default.svc.cluster.local:9080"; // no VirtualService: the default route
    expect(outboundKey(push, web)).not.toBe(outboundKey(push, tools));
    expect(vhost(tools, DETAILS)).toBe(vhost(web, DETAILS));
    // In its own namespace a service also answers to its short name: another virtual host.
    expect(vhost(reviews, DETAILS)).not.toBe(vhost(web, DETAILS));
    expect(vhost(reviews, DETAILS).domains).toContain("details");
    // ... which shares the route itself (and so its encoding) with the other namespaces' virtual host.
    expect(vhost(reviews, DETAILS).routes[0]).toBe(vhost(web, DETAILS).routes[0]);
    // A service with a VirtualService: each class its own virtual host, built from the same Route messages
    // (shared-routes.ts), so each route is encoded once.
    const REVIEWS = "reviews.default.svc.cluster.local:9080";
    expect(vhost(tools, REVIEWS)).not.toBe(vhost(web, REVIEWS));
    expect(vhost(tools, REVIEWS)).toEqual(vhost(web, REVIEWS));
    expect(vhost(tools, REVIEWS).routes.length).toBe(2);
    vhost(tools, REVIEWS).routes.forEach((r, i) => expect(r).toBe(vhost(web, REVIEWS).routes[i]));
    expect(vhost(reviews, REVIEWS).routes[0]).toBe(vhost(web, REVIEWS).routes[0]);
  });

  it("keeps a VirtualService's routes apart for classes that match the source or pick another DestinationRule", () => {
    const bySource = obj("VirtualService", "ratings", {
      hosts: ["ratings"],
      http: [
        { match: [{ sourceNamespace: "shop" }], route: [{ destination: { host: "ratings", subset: "v2" } }] },
        { route: [{ destination: { host: "ratings", subset: "v1" } }] },
      ],
    });
    const ratingsRule = obj("DestinationRule", "ratings", {
      host: "ratings",
      subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }],
    });
    // A rule in "ops" for reviews (exported to "ops" only): proxies there hash by cookie, the others do not.
    const opsRule = obj("DestinationRule", "reviews-sticky", {
      host: "reviews.default.svc.cluster.local",
      exportTo: ["."],
      subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }, {
        name: "v3",
        labels: { version: "v3" },
      }],
      trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: "user", ttl: "60s" } } } },
    }, { namespace: "ops" });
    forgetLastingMemos();
    const push = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO, ...OTHER_NS, bySource, ratingsRule, opsRule]);
    const web = PROXIES[4]; // "shop"
    const tools = sidecar("tools", "v1", "10.0.6.1", "ops");
    const other = sidecar("other", "v1", "10.0.6.2", "lab");
    const routesOf = (p: ProxyIdentity, name: string) =>
      buildProxyResources(push, p).routes.flatMap((rc) => rc.virtualHosts).find((vh) => vh.name === name)!
        .routes;
    const RATINGS = "ratings.default.svc.cluster.local:9080";
    const REVIEWS = "reviews.default.svc.cluster.local:9080";
    // sourceNamespace: "shop" gets both routes, the others only the second — never the same objects.
    expect(routesOf(web, RATINGS).length).toBe(2);
    expect(routesOf(tools, RATINGS).length).toBe(1);
    expect(routesOf(tools, RATINGS)[0]).not.toBe(routesOf(other, RATINGS)[0]);
    expect(routesOf(tools, RATINGS)[0]).toEqual(routesOf(other, RATINGS)[0]);
    // "ops" picks its own DestinationRule for reviews: its routes hash by cookie, unlike "shop"'s and "lab"'s.
    const hashOf = (r: ReturnType<typeof routesOf>[number]) =>
      r.action.case === "route" ? r.action.value.hashPolicy : undefined;
    expect(hashOf(routesOf(tools, REVIEWS)[1])).toHaveLength(1);
    expect(hashOf(routesOf(web, REVIEWS)[1])).toHaveLength(0);
    expect(routesOf(web, REVIEWS)[1]).toBe(routesOf(other, REVIEWS)[1]);
    expect(routesOf(tools, REVIEWS)[1]).not.toBe(routesOf(web, REVIEWS)[1]);
  });

  it("gives classes that pick different DestinationRules for a service their own virtual host", () => {
    // A rule in "ops" for details: proxies in "ops" pick it over none; "shop" proxies do not see it (exportTo).
    const opsRule = obj("DestinationRule", "details-sticky", {
      host: "details.default.svc.cluster.local",
      exportTo: ["."],
      trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: "user", ttl: "60s" } } } },
    }, { namespace: "ops" });
    const push = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO, ...OTHER_NS, opsRule]);
    const web = PROXIES[4]; // "shop"
    const tools = sidecar("tools", "v1", "10.0.6.1", "ops");
    const DETAILS = "details.default.svc.cluster.local:9080";
    const vhost = (r: ProxyResources) =>
      r.routes.flatMap((rc) => rc.virtualHosts).find((vh) => vh.name === DETAILS)!;
    const hashOf = (r: ProxyResources) => {
      const action = vhost(r).routes[0]?.action;
      return action?.case === "route" ? action.value.hashPolicy : undefined;
    };
    for (const order of [[web, tools], [tools, web]]) {
      forgetLastingMemos();
      const [first, second] = order.map((p) => buildProxyResources(push, p));
      const [forWeb, forTools] = order[0] === web ? [first, second] : [second, first];
      expect(vhost(forWeb).domains).toEqual(vhost(forTools).domains);
      expect(hashOf(forWeb)).toEqual([]);
      expect(hashOf(forTools)?.[0]?.policySpecifier.case).toBe("cookie");
      // The rule's warning (cookie ttl is not generated) belongs to the class that uses it, memo or not.
      const ttlWarning = (r: ProxyResources) => r.warnings.some((w) => w.includes("httpCookie ttl"));
      expect([ttlWarning(forWeb), ttlWarning(forTools)]).toEqual([false, true]);
    }
  });

  it("keeps unchanged resources from push to push and rebuilds what an endpoint edit changed", () => {
    const before = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO]);
    const moved = BOOKINFO_KUBE.map((o) =>
      o.name.startsWith("ratings-v1") ? pod("ratings", "v1", "10.0.0.99") : o
    );
    const after = pushFor([...moved, ...BOOKINFO_ISTIO]);
    const proxy = PROXIES[0];
    const a = buildProxyResources(before, proxy);
    const b = buildProxyResources(after, proxy);
    const eds = (r: ProxyResources, name: string) => r.endpoints.find((e) => e.clusterName === name);
    const RATINGS = "outbound|9080||ratings.default.svc.cluster.local";
    const REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
    expect(eds(b, REVIEWS)).toBe(eds(a, REVIEWS));
    expect(eds(b, RATINGS)).not.toBe(eds(a, RATINGS));
    const addresses = (e: ReturnType<typeof eds>) =>
      e?.endpoints.flatMap((l) =>
        l.lbEndpoints.map((lb) =>
          lb.hostIdentifier.case === "endpoint" &&
            lb.hostIdentifier.value.address?.address.case === "socketAddress"
            ? lb.hostIdentifier.value.address.address.value.address
            : ""
        )
      );
    expect(addresses(eds(b, RATINGS))).toEqual(["10.0.0.99"]);
    expect(b.routes).toEqual(a.routes);
    expect(b.routes[0]).toBe(a.routes[0]);
    expect(b.clusters.find((c) => c.name === RATINGS)).toBe(a.clusters.find((c) => c.name === RATINGS));
    // A proxy without inbound parts gets the very same cluster list: an endpoint edit leaves CDS alone.
    expect(buildProxyResources(after, GRPC_CLIENT).clusters).toBe(
      buildProxyResources(before, GRPC_CLIENT).clusters,
    );
  });

  it("takes over load assignments whose instances are the same objects, rebuilds the one whose changed", () => {
    const config = [...BOOKINFO_KUBE, ...BOOKINFO_ISTIO];
    const kube = buildKubernetesContents(config, "cluster.local");
    const instances = [...kube.instances.values()].flat();
    const push = (list: typeof instances) =>
      createPushContext({ services: kube.services, instances: list, workloads: kube.workloads, config });
    const ratings = (i: (typeof instances)[number]) => i.hostname.startsWith("ratings.");
    const first = push(instances);
    const moved = push(instances.map((i) => (ratings(i) ? { ...i, address: "10.0.0.98" } : i)));
    const a = buildProxyResources(first, PROXIES[0]);
    const b = buildProxyResources(moved, PROXIES[0]);
    const eds = (r: ProxyResources, host: string) =>
      r.endpoints.find((e) => e.clusterName === `outbound|9080||${host}.default.svc.cluster.local`)!;
    expect(eds(b, "reviews")).toBe(eds(a, "reviews"));
    expect(eds(b, "ratings")).not.toBe(eds(a, "ratings"));
    expect(JSON.stringify(eds(b, "ratings"))).toContain("10.0.0.98");
    expect(b.endpoints).toEqual(
      buildProxyResources(
        push(instances.map((i) => (ratings(i) ? { ...i, address: "10.0.0.98" } : i))),
        PROXIES[0],
      )
        .endpoints,
    );
  });

  it("rebuilds routes when routing config changes", () => {
    const a = buildProxyResources(pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO]), PROXIES[0]);
    const b = buildProxyResources(
      pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO, service("extra")]),
      PROXIES[0],
    );
    expect(b.routes[0]).not.toBe(a.routes[0]);
    const clusters = (extra: readonly ConfigObject[]) =>
      buildProxyResources(pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO, ...extra]), GRPC_CLIENT).clusters;
    expect(clusters([service("extra")]).map((c) => c.name)).toContain(
      "outbound|9080||extra.default.svc.cluster.local",
    );
    expect(clusters([])).not.toBe(clusters([service("extra")]));
    expect(b.routes.flatMap((rc) => rc.virtualHosts.map((vh) => vh.name))).toContain(
      "extra.default.svc.cluster.local:9080",
    );
  });
});

describe("warm-up", () => {
  it("logs a failed translation instead of throwing it (start-up goes on)", () => {
    const log: string[] = [];
    const broken = () => {
      throw new Error("push context could not be built");
    };
    expect(warmUp(broken, (line) => log.push(line))).toBeUndefined();
    expect(log).toEqual(["warm-up skipped: push context could not be built"]);
  });
});
