// Push context: host resolution, indexes, DestinationRule precedence, Sidecar selection and scope.
import { describe, expect, it } from "vitest";
import type { ProxyIdentity } from "../../../control/model/types.ts";
import { hostMatches, resolveHost } from "../../../control/push-context/hosts.ts";
import { createPushContext } from "../../../control/push-context/push-context.ts";
import { buildKubernetesContents } from "../../../control/registry/kubernetes.ts";
import { BOOKINFO_ISTIO, BOOKINFO_KUBE, obj, PRODUCTPAGE, pushFor, sidecar } from "../translate/bookinfo.ts";

describe("hosts", () => {
  it("resolves short names relative to the namespace, keeps dotted names and wildcards", () => {
    expect(resolveHost("reviews", "default", "cluster.local")).toBe("reviews.default.svc.cluster.local");
    expect(resolveHost("Reviews", "prod", "example.local")).toBe("reviews.prod.svc.example.local");
    expect(resolveHost("reviews.default", "x", "cluster.local")).toBe("reviews.default");
    expect(resolveHost("*", "x", "cluster.local")).toBe("*");
  });

  it("matches wildcards on label boundaries", () => {
    expect(hostMatches("*.example.com", "a.example.com")).toBe(true);
    expect(hostMatches("*.example.com", "example.com")).toBe(false);
    expect(hostMatches("*.example.com", "*.b.example.com")).toBe(true);
    expect(hostMatches("*", "anything")).toBe(true);
  });
});

describe("createPushContext", () => {
  const push = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO]);

  it("is frozen and indexes services, instances by port and labels, and VirtualServices by gateway", () => {
    expect(Object.isFrozen(push)).toBe(true);
    expect(push.services.map((s) => s.hostname)).toEqual([
      "details.default.svc.cluster.local",
      "productpage.default.svc.cluster.local",
      "ratings.default.svc.cluster.local",
      "reviews.default.svc.cluster.local",
    ]);
    expect(push.instances("reviews.default.svc.cluster.local", 9080, { version: "v2" }).map((i) => i.address))
      .toEqual(["10.0.0.22"]);
    expect(push.instances("reviews.default.svc.cluster.local", 9081)).toEqual([]);
    expect(push.virtualServicesFor("mesh").map((v) => v.name)).toEqual(["reviews"]);
    expect(push.virtualServicesFor("default/bookinfo-gateway").map((v) => v.name)).toEqual(["bookinfo"]);
    const reviews = push.virtualServices.find((v) => v.name === "reviews")!;
    expect(reviews.hosts).toEqual(["reviews.default.svc.cluster.local"]);
    expect(reviews.http[1].route?.map((d) => d.destination.host)).toEqual([
      "reviews.default.svc.cluster.local",
      "reviews.default.svc.cluster.local",
    ]);
  });

  it("keeps an unchanged object's view across push contexts, frozen; a changed object gets a new one", () => {
    const next = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO]);
    expect(next.virtualServices).toEqual(push.virtualServices);
    next.virtualServices.forEach((vs, i) => expect(vs).toBe(push.virtualServices[i]));
    expect(next.destinationRules[0]).toBe(push.destinationRules[0]);
    expect(Object.isFrozen(next.virtualServices[0])).toBe(true);
    const [first, ...rest] = BOOKINFO_ISTIO;
    const edited = pushFor([...BOOKINFO_KUBE, { ...first, spec: { ...first.spec } }, ...rest]);
    expect(edited.destinationRules[0]).toEqual(push.destinationRules[0]);
    expect(edited.destinationRules[0]).not.toBe(push.destinationRules[0]);
    // Another domain suffix is another view of the same object.
    const kube = buildKubernetesContents(BOOKINFO_KUBE, "example.local");
    const other = createPushContext({
      services: kube.services,
      workloads: kube.workloads,
      config: BOOKINFO_ISTIO,
      domainSuffix: "example.local",
    });
    expect(other.destinationRules[0].host).toBe("reviews.default.svc.example.local");
  });

  it("selects gateways by the proxy's labels", () => {
    const router: ProxyIdentity = {
      id: "router~x",
      type: "router",
      namespace: "istio-system",
      labels: { istio: "ingressgateway" },
    };
    expect(push.gatewaysFor(router).map((g) => g.key)).toEqual(["default/bookinfo-gateway"]);
    expect(push.gatewaysFor(PRODUCTPAGE)).toEqual([]);
  });
});

describe("DestinationRule precedence", () => {
  const rules = [
    obj("DestinationRule", "root", { host: "*.svc.cluster.local" }, { namespace: "istio-system" }),
    obj("DestinationRule", "svc-ns", { host: "reviews" }),
    obj("DestinationRule", "client-ns", { host: "reviews.default.svc.cluster.local" }, {
      namespace: "frontend",
    }),
    obj("DestinationRule", "hidden", { host: "ratings", exportTo: ["."] }),
  ];
  const push = pushFor([...BOOKINFO_KUBE, ...rules]);

  it("proxy namespace > service namespace > root namespace; exportTo is honoured", () => {
    const front = sidecar("web", "v1", "10.2.0.1", "frontend");
    expect(push.destinationRule(front, "reviews.default.svc.cluster.local")?.name).toBe("client-ns");
    expect(push.destinationRule(PRODUCTPAGE, "reviews.default.svc.cluster.local")?.name).toBe("svc-ns");
    expect(push.destinationRule(PRODUCTPAGE, "details.default.svc.cluster.local")?.name).toBe("root");
    expect(push.destinationRule(PRODUCTPAGE, "ratings.default.svc.cluster.local")?.name).toBe("hidden");
    expect(push.destinationRule(front, "ratings.default.svc.cluster.local")?.name).toBe("root");
  });

  it("within a namespace: the exact host, then the longest wildcard, then the first in config order", () => {
    const inShop = (name: string, host: string) =>
      obj("DestinationRule", name, { host }, { namespace: "shop" });
    const web = sidecar("web", "v1", "10.2.0.2", "shop");
    const ordered = pushFor([
      ...BOOKINFO_KUBE,
      inShop("any", "*"),
      inShop("cluster", "*.cluster.local"),
      inShop("svc", "*.svc.cluster.local"),
      inShop("svc-again", "*.svc.cluster.local"),
      inShop("exact", "reviews.default.svc.cluster.local"),
      inShop("exact-again", "reviews.default.svc.cluster.local"),
    ]);
    expect(ordered.destinationRule(web, "reviews.default.svc.cluster.local")?.name).toBe("exact");
    expect(ordered.destinationRule(web, "ratings.default.svc.cluster.local")?.name).toBe("svc");
    expect(ordered.destinationRule(web, "example.com")?.name).toBe("any");
    expect(ordered.destinationRule(web, "db.cluster.local")?.name).toBe("cluster");
  });
});

describe("Sidecar selection and scope", () => {
  const sidecars = [
    obj("Sidecar", "mesh-default", { egress: [{ hosts: ["./*"] }] }, { namespace: "istio-system" }),
    obj("Sidecar", "ns-default", { egress: [{ hosts: ["./ratings.default.svc.cluster.local"] }] }),
    obj("Sidecar", "for-reviews", {
      workloadSelector: { labels: { app: "reviews" } },
      egress: [{
        hosts: ["*/ratings.default.svc.cluster.local", "default/details.default.svc.cluster.local"],
      }],
    }),
  ];
  const push = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO, ...sidecars]);
  const visible = (p: ProxyIdentity) => push.sidecarScope(p).services.map((s) => s.hostname.split(".")[0]);

  it("a selecting Sidecar beats the namespace default, which beats the root namespace default", () => {
    expect(push.sidecarScope(sidecar("reviews", "v1", "10.0.0.21")).sidecar?.name).toBe("for-reviews");
    expect(visible(sidecar("reviews", "v1", "10.0.0.21"))).toEqual(["details", "ratings"]);
    expect(push.sidecarScope(PRODUCTPAGE).sidecar?.name).toBe("ns-default");
    expect(visible(PRODUCTPAGE)).toEqual(["ratings"]);
    const other = sidecar("web", "v1", "10.3.0.1", "shop");
    expect(push.sidecarScope(other).sidecar?.name).toBe("mesh-default");
    expect(visible(other)).toEqual([]); // "./*" is the proxy's own namespace: nothing in "shop"
  });

  it("without any Sidecar everything is visible; VirtualServices follow egress hosts", () => {
    const open = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO]);
    expect(open.sidecarScope(PRODUCTPAGE).services.length).toBe(4);
    const reviewsVs = push.virtualServices.find((v) => v.name === "reviews")!;
    expect(push.sidecarScope(PRODUCTPAGE).isVirtualServiceVisible(reviewsVs)).toBe(false);
    expect(open.sidecarScope(PRODUCTPAGE).isVirtualServiceVisible(reviewsVs)).toBe(true);
  });
});
