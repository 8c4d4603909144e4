// Test fixture: a Bookinfo-shaped mesh (Services, Pods, DestinationRule, VirtualServices, Gateway) and its proxies.
import type { ConfigObject, ProxyIdentity } from "../../../control/model/types.ts";
import { createPushContext, type PushContext } from "../../../control/push-context/push-context.ts";
import { buildKubernetesContents } from "../../../control/registry/kubernetes.ts";

export function obj(
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  extra: { namespace?: string; labels?: Record<string, string>; apiVersion?: string } = {},
): ConfigObject {
  return {
    apiVersion: extra.apiVersion ??
      (/Service$|Pod|Endpoint/.test(kind) && kind !== "ServiceEntry" ? "v1" : "networking.istio.io/v1beta1"),
    kind,
    name,
    namespace: extra.namespace ?? "default",
    labels: extra.labels ?? {},
    annotations: {},
    spec,
  };
}

export function service(name: string, extra: Record<string, unknown> = {}, port = 9080): ConfigObject {
  return obj("Service", name, {
    selector: { app: name },
    ports: [{ name: "http", port, targetPort: port }],
    ...extra,
  }, { labels: { app: name, service: name } });
}

export function pod(app: string, version: string, ip: string, port = 9080): ConfigObject {
  // the config parser's shape for a Pod: ConfigObject.spec is the document body { spec, status }
  return obj("Pod", `${app}-${version}-5d8f9c7b6-x${ip.split(".").pop()}`, {
    spec: {
      serviceAccountName: `bookinfo-${app}`,
      containers: [{ name: app, ports: [{ name: "http", containerPort: port }] }],
    },
    status: { podIP: ip, phase: "Running" },
  }, { labels: { app, version } });
}

export const BOOKINFO_KUBE: readonly ConfigObject[] = [
  service("productpage"),
  service("details", { clusterIP: "10.96.0.20" }),
  service("reviews"),
  service("ratings"),
  pod("productpage", "v1", "10.0.0.10"),
  pod("details", "v1", "10.0.0.11"),
  pod("reviews", "v1", "10.0.0.21"),
  pod("reviews", "v2", "10.0.0.22"),
  pod("reviews", "v3", "10.0.0.23"),
  pod("ratings", "v1", "10.0.0.31"),
];

export const BOOKINFO_ISTIO: readonly ConfigObject[] = [
  obj("DestinationRule", "reviews", {
    host: "reviews",
    subsets: [
      { name: "v1", labels: { version: "v1" } },
      { name: "v2", labels: { version: "v2" } },
      { name: "v3", labels: { version: "v3" } },
    ],
  }),
  obj("VirtualService", "reviews", {
    hosts: ["reviews"],
    http: [
      {
        name: "jason",
        match: [{ headers: { "end-user": { exact: "jason" } } }],
        route: [{ destination: { host: "reviews", subset: "v2" } }],
      },
      {
        name: "split",
        route: [
          { destination: { host: "reviews", subset: "v1" }, weight: 50 },
          { destination: { host: "reviews", subset: "v3" }, weight: 50 },
        ],
      },
    ],
  }),
  obj("Gateway", "bookinfo-gateway", {
    selector: { istio: "ingressgateway" },
    servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
  }),
  obj("VirtualService", "bookinfo", {
    hosts: ["*"],
    gateways: ["bookinfo-gateway"],
    http: [{
      match: [
        { uri: { exact: "/productpage" } },
        { uri: { prefix: "/static" } },
        { uri: { exact: "/login" } },
        { uri: { exact: "/logout" } },
        { uri: { prefix: "/api/v1/products" } },
      ],
      route: [{ destination: { host: "productpage", port: { number: 9080 } } }],
    }],
  }),
];

export function pushFor(config: readonly ConfigObject[]): PushContext {
  const kube = buildKubernetesContents(config, "cluster.local");
  return createPushContext({
    services: kube.services,
    instances: [...kube.instances.values()].flat(),
    workloads: kube.workloads,
    config,
  });
}

export function sidecar(app: string, version: string, ip: string, namespace = "default"): ProxyIdentity {
  return {
    id: `sidecar~${ip}~${app}-${version}-5d8f9c7b6-x${
      ip.split(".").pop()
    }.${namespace}~${namespace}.svc.cluster.local`,
    type: "sidecar",
    ip,
    namespace,
    labels: { app, version },
    workloadName: `${app}-${version}`,
    serviceAccount: `bookinfo-${app}`,
  };
}

export const PRODUCTPAGE = sidecar("productpage", "v1", "10.0.0.10");

export const INGRESS: ProxyIdentity = {
  id: "router~10.0.1.5~istio-ingressgateway-7d9c8f6b5-abcde.istio-system~istio-system.svc.cluster.local",
  type: "router",
  ip: "10.0.1.5",
  namespace: "istio-system",
  labels: { istio: "ingressgateway", app: "istio-ingressgateway" },
};

export const GRPC_CLIENT: ProxyIdentity = {
  id: "grpc-client~10.0.0.50",
  type: "proxyless",
  ip: "10.0.0.50",
  namespace: "default",
  labels: { app: "grpc-client" },
};
