// Simulation: translated config fed to Weft's own route table and endpoint lookups — where does a request land?
import type { Message } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import type { ClusterLoadAssignment } from "../../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import type { ConfigObject, ProxyIdentity } from "../../../control/model/types.ts";
import { buildProxyResources, type ProxyResources } from "../../../control/translate/proxy-resources.ts";
import { findUnsupportedFields } from "../../../proxy/config/validate.ts";
import { createConfigRegistry } from "../../../proxy/config/registry.ts";
import type { HeaderMap } from "../../../proxy/http/types.ts";
import { compileRouteConfiguration, type SelectedRoute } from "../../../proxy/route/route-table.ts";
import { seeded } from "../../proxy/route/helpers.ts";
import { BOOKINFO_ISTIO, BOOKINFO_KUBE, INGRESS, obj, PRODUCTPAGE, pushFor, sidecar } from "./bookinfo.ts";

const REVIEWS = "reviews.default.svc.cluster.local";

/** A simulated proxy: its resources, its route tables by name, and its endpoints by cluster. */
function simulate(config: readonly ConfigObject[], proxy: ProxyIdentity) {
  const resources = buildProxyResources(pushFor(config), proxy);
  const tables = new Map(resources.routes.map((rc) => [rc.name, compileRouteConfiguration(rc)]));
  const endpoints = new Map(resources.endpoints.map((e) => [e.clusterName, e]));
  return {
    resources,
    send(
      routeName: string,
      req: { authority: string; path?: string; headers?: HeaderMap },
      random = () => 0.5,
    ) {
      const table = tables.get(routeName);
      if (table === undefined) throw new Error(`no route configuration ${routeName}`);
      return table.route({
        method: "GET",
        path: req.path ?? "/",
        headers: req.headers ?? {},
        authority: req.authority,
        random,
      });
    },
    addresses: (cluster: string) => addressesOf(endpoints.get(cluster)),
  };
}

function clusterOf(selected: SelectedRoute | undefined): string | undefined {
  return selected?.action.kind === "forward" ? selected.action.cluster : undefined;
}

function addressesOf(cla: ClusterLoadAssignment | undefined): string[] {
  return (cla?.endpoints ?? []).flatMap((l) =>
    l.lbEndpoints.map((e) => {
      const sa = e.hostIdentifier.case === "endpoint" ? e.hostIdentifier.value.address?.address : undefined;
      return sa?.case === "socketAddress" ? `${sa.value.address}:${sa.value.portSpecifier.value}` : "?";
    })
  );
}

function unsupported(r: ProxyResources): string[] {
  const registry = createConfigRegistry();
  const all: Message[] = [...r.listeners, ...r.routes, ...r.clusters, ...r.endpoints];
  return all.flatMap((m) =>
    findUnsupportedFields(m, registry).map((i) => `${m.$typeName}: ${i.path}: ${i.message}`)
  );
}

const BOOKINFO = [...BOOKINFO_KUBE, ...BOOKINFO_ISTIO];

describe("simulation: Bookinfo through the productpage sidecar", () => {
  const sim = simulate(BOOKINFO, PRODUCTPAGE);

  it("GET reviews:9080/ with end-user: jason → outbound|9080|v2|reviews → the reviews-v2 pod", () => {
    const cluster = clusterOf(
      sim.send("9080", { authority: "reviews:9080", headers: { "end-user": "jason" } }),
    );
    expect(cluster).toBe(`outbound|9080|v2|${REVIEWS}`);
    expect(sim.addresses(cluster!)).toEqual(["10.0.0.22:9080"]);
  });

  it("splits other users 50/50 between v1 and v3 (2000 seeded draws, ±5%)", () => {
    const random = seeded(42);
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const c = clusterOf(
        sim.send("9080", { authority: `${REVIEWS}:9080`, headers: { "end-user": "mary" } }, random),
      )!;
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([`outbound|9080|v1|${REVIEWS}`, `outbound|9080|v3|${REVIEWS}`]);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThanOrEqual(100);
    expect(sim.addresses(`outbound|9080|v1|${REVIEWS}`)).toEqual(["10.0.0.21:9080"]);
    expect(sim.addresses(`outbound|9080|v3|${REVIEWS}`)).toEqual(["10.0.0.23:9080"]);
  });

  it("routes services without a VirtualService to their default cluster, by every Istio domain", () => {
    for (
      const authority of [
        "ratings",
        "ratings:9080",
        "ratings.default",
        "ratings.default.svc.cluster.local:9080",
      ]
    ) {
      expect(clusterOf(sim.send("9080", { authority }))).toBe(
        "outbound|9080||ratings.default.svc.cluster.local",
      );
    }
    expect(sim.addresses("outbound|9080||ratings.default.svc.cluster.local")).toEqual(["10.0.0.31:9080"]);
    expect(clusterOf(sim.send("9080", { authority: "10.96.0.20:9080" }))).toBe(
      "outbound|9080||details.default.svc.cluster.local",
    );
  });

  it("stays inside the subset of Envoy config that Weft's proxy accepts", () => {
    expect(unsupported(sim.resources)).toEqual([]);
    expect(sim.resources.warnings).toEqual([]);
  });
});

describe("simulation: ingress gateway", () => {
  const sim = simulate(BOOKINFO, INGRESS);

  it("sends /productpage to productpage and 404s anything else", () => {
    const hit = sim.send("http.80", { authority: "bookinfo.example.com", path: "/productpage" });
    expect(clusterOf(hit)).toBe("outbound|9080||productpage.default.svc.cluster.local");
    expect(sim.addresses(clusterOf(hit)!)).toEqual(["10.0.0.10:9080"]);
    expect(sim.send("http.80", { authority: "bookinfo.example.com", path: "/admin" })).toBeUndefined();
    expect(unsupported(sim.resources)).toEqual([]);
  });

  it("a sidecar does not get the gateway's routes", () => {
    expect(sim.resources.listeners.map((l) => l.name)).toEqual(["0.0.0.0_80"]);
    const side = simulate(BOOKINFO, PRODUCTPAGE);
    expect(side.resources.routes.map((r) => r.name)).toEqual(["9080"]);
  });
});

describe("simulation: Sidecar scoping", () => {
  const scoped = [
    ...BOOKINFO,
    obj("Sidecar", "default", {
      egress: [{ hosts: ["./reviews.default.svc.cluster.local", "istio-system/*"] }],
    }),
  ];

  it("hides services outside the egress hosts from clusters, endpoints, listeners and routes", () => {
    const sim = simulate(scoped, PRODUCTPAGE);
    const clusters = sim.resources.clusters.map((c) => c.name);
    expect(clusters.filter((c) => c.startsWith("outbound"))).toEqual([
      `outbound|9080|v1|${REVIEWS}`,
      `outbound|9080|v2|${REVIEWS}`,
      `outbound|9080|v3|${REVIEWS}`,
      `outbound|9080||${REVIEWS}`,
    ]);
    expect(sim.resources.endpoints.map((e) => e.clusterName).every((n) => n.endsWith(REVIEWS))).toBe(true);
    expect(sim.resources.listeners.map((l) => l.name)).toEqual(["0.0.0.0_9080", "virtualInbound"]);
    expect(sim.send("9080", { authority: "ratings:9080" })).toBeUndefined();
    expect(clusterOf(sim.send("9080", { authority: "reviews:9080", headers: { "end-user": "jason" } }))).toBe(
      `outbound|9080|v2|${REVIEWS}`,
    );
  });

  it("a workloadSelector Sidecar applies only to the workloads it selects", () => {
    const selective = [
      ...BOOKINFO,
      obj("Sidecar", "ratings-only", {
        workloadSelector: { labels: { app: "reviews" } },
        egress: [{ hosts: ["./ratings.default.svc.cluster.local"] }],
      }),
    ];
    const reviews = simulate(selective, sidecar("reviews", "v1", "10.0.0.21"));
    expect(reviews.resources.clusters.filter((c) => c.name.startsWith("outbound")).map((c) => c.name))
      .toEqual([
        "outbound|9080||ratings.default.svc.cluster.local",
      ]);
    expect(simulate(selective, PRODUCTPAGE).resources.clusters.length).toBe(8);
  });
});

describe("simulation: sourceLabels routes apply only to matching proxies", () => {
  const config = [
    ...BOOKINFO,
    obj("DestinationRule", "ratings", {
      host: "ratings",
      subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }],
    }),
    obj("VirtualService", "ratings", {
      hosts: ["ratings"],
      http: [
        {
          match: [{ sourceLabels: { app: "reviews", version: "v3" } }],
          route: [{ destination: { host: "ratings", subset: "v2" } }],
        },
        { route: [{ destination: { host: "ratings", subset: "v1" } }] },
      ],
    }),
  ];

  it("reviews-v3 goes to ratings v2, reviews-v2 to ratings v1", () => {
    const v3 = simulate(config, sidecar("reviews", "v3", "10.0.0.23"));
    const v2 = simulate(config, sidecar("reviews", "v2", "10.0.0.22"));
    expect(clusterOf(v3.send("9080", { authority: "ratings:9080" }))).toBe(
      "outbound|9080|v2|ratings.default.svc.cluster.local",
    );
    expect(clusterOf(v2.send("9080", { authority: "ratings:9080" }))).toBe(
      "outbound|9080|v1|ratings.default.svc.cluster.local",
    );
    const ratingsHost = v2.resources.routes[0].virtualHosts.find((vh) => vh.name.startsWith("ratings"))!;
    expect(ratingsHost.routes.length).toBe(1);
  });

  it("the reviews sidecar's inbound listener and cluster point at its own workload port", () => {
    const v2 = simulate(config, sidecar("reviews", "v2", "10.0.0.22"));
    const inbound = v2.resources.clusters.find((c) => c.name === "inbound|9080||")!;
    expect(addressesOf(inbound.loadAssignment)).toEqual(["127.0.0.1:9080"]);
    const listener = v2.resources.listeners.find((l) => l.name === "virtualInbound")!;
    expect(listener.filterChains.map((c) => c.filterChainMatch?.destinationPort)).toEqual([9080]);
  });
});
