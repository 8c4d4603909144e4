// Kubernetes registry: Services with Pods only, EndpointSlices (named targetPort), Endpoints, protocols, events.
import { describe, expect, it } from "vitest";
import type { ConfigObject } from "../../../control/model/types.ts";
import { buildKubernetesContents, createKubernetesRegistry } from "../../../control/registry/kubernetes.ts";
import type { RegistryEvent } from "../../../control/registry/types.ts";
import { obj, pod, service } from "../translate/bookinfo.ts";

const HOST = "reviews.default.svc.cluster.local";

describe("Service + Pods (no EndpointSlices: a file-only mesh)", () => {
  const notReady: ConfigObject = {
    ...pod("reviews", "v3", "10.0.0.23"),
    spec: {
      ...pod("reviews", "v3", "10.0.0.23").spec,
      status: { podIP: "10.0.0.23", conditions: [{ type: "Ready", status: "False" }] },
    },
  };
  const noIp = obj("Pod", "reviews-pending", { containers: [] }, { labels: { app: "reviews" } });
  const otherNs = obj("Pod", "reviews-elsewhere", { status: { podIP: "10.9.9.9" } }, {
    namespace: "other",
    labels: { app: "reviews" },
  });
  const contents = buildKubernetesContents(
    [
      service("reviews", { ports: [{ name: "http", port: 9080, targetPort: "http" }] }),
      pod("reviews", "v1", "10.0.0.21"),
      pod("reviews", "v2", "10.0.0.22"),
      notReady,
      noIp,
      otherNs,
      pod("ratings", "v1", "10.0.0.31"),
    ],
    "cluster.local",
  );

  it("builds the Service: FQDN hostname, protocol from the port name, named targetPort resolved via the Pods", () => {
    expect(contents.services).toEqual([{
      hostname: HOST,
      namespace: "default",
      ports: [{ name: "http", port: 9080, protocol: "HTTP", targetPort: 9080 }],
      selector: { app: "reviews" },
      address: undefined,
      resolution: "STATIC",
      external: false,
      registry: "kubernetes",
    }]);
  });

  it("selected Pods with an IP in the Service's namespace are its instances, labelled, with their service account", () => {
    const list = contents.instances.get(HOST)!;
    expect(list.map((i) => [i.address, i.port, i.labels.version, i.healthy])).toEqual([
      ["10.0.0.21", 9080, "v1", true],
      ["10.0.0.22", 9080, "v2", true],
      ["10.0.0.23", 9080, "v3", false],
    ]);
    expect(list[0]).toMatchObject({
      servicePort: 9080,
      serviceAccount: "bookinfo-reviews",
      workloadName: "reviews-v1-5d8f9c7b6-x21",
      namespace: "default",
      weight: 1,
    });
    expect(contents.workloads.map((w) => w.address).sort()).toEqual([
      "10.0.0.21",
      "10.0.0.22",
      "10.0.0.23",
      "10.0.0.31",
      "10.9.9.9",
    ]);
  });
});

describe("Pod addresses", () => {
  it("a Pod without status takes its IP from the weft.io/pod-ip annotation", () => {
    const annotated: ConfigObject = {
      ...obj("Pod", "reviews-vm", { spec: { serviceAccountName: "vm" } }, { labels: { app: "reviews" } }),
      annotations: { "weft.io/pod-ip": "10.7.0.1" },
    };
    const c = buildKubernetesContents([service("reviews"), annotated], "cluster.local");
    expect(c.instances.get(HOST)!.map((i) => [i.address, i.serviceAccount])).toEqual([["10.7.0.1", "vm"]]);
  });
});

describe("EndpointSlice and Endpoints", () => {
  const svc = service("web", {
    ports: [{ name: "http", port: 80, targetPort: "web" }],
    clusterIP: "10.96.0.9",
  });
  const webPod = obj("Pod", "web-0", {
    containers: [{ ports: [{ name: "web", containerPort: 8080 }] }],
    serviceAccountName: "web",
    status: { podIP: "10.1.0.5" },
  }, { labels: { app: "web", version: "v7" } });

  it("slice endpoints become instances on the slice's port, labelled from the Pod they reference", () => {
    const slice = obj("EndpointSlice", "web-abc", {
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: [
        { addresses: ["10.1.0.5"], conditions: { ready: true }, targetRef: { kind: "Pod", name: "web-0" } },
        { addresses: ["10.1.0.6"], conditions: { ready: false } },
      ],
    }, { labels: { "kubernetes.io/service-name": "web" } });
    const c = buildKubernetesContents([svc, slice, webPod], "cluster.local");
    expect(c.services[0]).toMatchObject({
      address: "10.96.0.9",
      ports: [{ name: "http", port: 80, protocol: "HTTP", targetPort: 8080 }],
    });
    expect(
      c.instances.get("web.default.svc.cluster.local")!.map((i) => [i.address, i.port, i.labels, i.healthy]),
    )
      .toEqual([
        ["10.1.0.5", 8080, { app: "web", version: "v7" }, true],
        ["10.1.0.6", 8080, {}, false],
      ]);
  });

  it("slice data kept at the top level of the object (beside spec) is read too", () => {
    const slice = {
      ...obj("EndpointSlice", "web-top", {}, { labels: { "kubernetes.io/service-name": "web" } }),
      ports: [{ name: "http", port: 8080 }],
      endpoints: [{ addresses: ["10.1.0.5"] }],
    } as ConfigObject;
    const c = buildKubernetesContents([svc, slice, webPod], "cluster.local");
    expect(c.instances.get("web.default.svc.cluster.local")!.map((i) => i.labels.version)).toEqual(["v7"]);
  });

  it("legacy Endpoints: ready and not-ready addresses, Pod found by IP", () => {
    const endpoints = obj("Endpoints", "web", {
      subsets: [{
        addresses: [{ ip: "10.1.0.5" }],
        notReadyAddresses: [{ ip: "10.1.0.7" }],
        ports: [{ name: "http", port: 8080 }],
      }],
    });
    const c = buildKubernetesContents([svc, endpoints, webPod], "cluster.local");
    expect(
      c.instances.get("web.default.svc.cluster.local")!.map((i) => [i.address, i.healthy, i.serviceAccount]),
    )
      .toEqual([["10.1.0.5", true, "web"], ["10.1.0.7", false, undefined]]);
  });
});

describe("protocol selection and service kinds", () => {
  it("appProtocol wins over the name; name prefixes; UDP ports are dropped; headless and ExternalName", () => {
    const c = buildKubernetesContents([
      obj("Service", "multi", {
        clusterIP: "None",
        ports: [
          { name: "grpc-api", port: 1 },
          { name: "http2", port: 2 },
          { name: "web", port: 3, appProtocol: "https" },
          { name: "tcp-db", port: 4 },
          { name: "redis", port: 5 },
          { name: "dns", port: 53, protocol: "UDP" },
          { port: 6 },
          { name: "h2c", port: 7, appProtocol: "kubernetes.io/h2c" },
        ],
      }),
      obj("Service", "ext", {
        type: "ExternalName",
        externalName: "db.example.com",
        ports: [{ name: "tcp", port: 5432 }],
      }),
    ], "cluster.local");
    const multi = c.services.find((s) => s.hostname.startsWith("multi"))!;
    expect(multi.address).toBeUndefined();
    expect(multi.ports.map((p) => p.protocol)).toEqual([
      "GRPC",
      "HTTP2",
      "HTTPS",
      "TCP",
      "REDIS",
      "UNKNOWN",
      "HTTP2",
    ]);
    const ext = c.services.find((s) => s.hostname.startsWith("ext"))!;
    expect(ext.resolution).toBe("DNS");
    expect(c.instances.get(ext.hostname)!.map((i) => `${i.address}:${i.port}`)).toEqual([
      "db.example.com:5432",
    ]);
  });
});

describe("createKubernetesRegistry", () => {
  it("replace() emits one event naming only the hostnames whose service or instances changed", () => {
    const base = [
      service("reviews"),
      service("ratings"),
      pod("reviews", "v1", "10.0.0.21"),
      pod("ratings", "v1", "10.0.0.31"),
    ];
    const registry = createKubernetesRegistry({ objects: base });
    const events: RegistryEvent[] = [];
    const off = registry.onChange((e) => events.push(e));
    registry.replace([...base, pod("reviews", "v2", "10.0.0.22")]);
    registry.replace([...base, pod("reviews", "v2", "10.0.0.22")]);
    expect(events).toEqual([{ registry: "kubernetes", hostnames: [HOST] }]);
    expect(registry.instances(HOST).length).toBe(2);
    off();
    registry.replace(base);
    expect(events.length).toBe(1);
    expect(registry.instances(HOST).length).toBe(1);
  });
});

describe("rebuilds reuse what did not change", () => {
  it("keeps a Service's build while its objects are the same, and rebuilds on a pod or slice change", () => {
    const events: RegistryEvent[] = [];
    const reviews = service("reviews");
    const ratings = service("ratings");
    const pods = [pod("reviews", "v1", "10.1.0.1"), pod("ratings", "v1", "10.1.0.9")];
    const registry = createKubernetesRegistry({ objects: [reviews, ratings, ...pods] });
    registry.onChange((e) => events.push(e));
    const before = registry.services();
    // The same objects again (another file changed): the same Service objects, no event.
    registry.replace([reviews, ratings, ...pods]);
    expect(registry.services()[0]).toBe(before[0]);
    expect(events).toEqual([]);
    // One pod of reviews moved: reviews is rebuilt and reported, ratings is not.
    registry.replace([reviews, ratings, pod("reviews", "v1", "10.1.0.2"), pods[1]]);
    expect(registry.instances(HOST).map((i) => i.address)).toEqual(["10.1.0.2"]);
    expect(events.map((e) => e.hostnames)).toEqual([[HOST]]);
  });
});
