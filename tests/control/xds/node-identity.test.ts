// Proxy identity from an xDS Node: Istio sidecar/router ids and metadata, proxyless gRPC clients.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { NodeSchema } from "../../../gen/envoy/config/core/v3/base_pb.ts";
import { parseProxyIdentity } from "../../../control/xds/node-identity.ts";

describe("parseProxyIdentity", () => {
  it("reads an Istio sidecar id and its metadata", () => {
    const node = create(NodeSchema, {
      id: "sidecar~10.1.2.3~reviews-v1-7f9c.bookinfo~bookinfo.svc.cluster.local",
      metadata: {
        NAMESPACE: "bookinfo",
        LABELS: { app: "reviews", version: "v1" },
        WORKLOAD_NAME: "reviews-v1",
        SERVICE_ACCOUNT: "bookinfo-reviews",
        CLUSTER_ID: "Kubernetes",
      },
    });
    expect(parseProxyIdentity(node)).toEqual({
      id: node.id,
      type: "sidecar",
      ip: "10.1.2.3",
      namespace: "bookinfo",
      labels: { app: "reviews", version: "v1" },
      workloadName: "reviews-v1",
      serviceAccount: "bookinfo-reviews",
      clusterId: "Kubernetes",
    });
  });

  it("takes the namespace from the id when metadata has none, and knows gateways (router)", () => {
    const identity = parseProxyIdentity(
      create(NodeSchema, {
        id: "router~10.9.0.5~istio-ingressgateway-5d8.istio-system~istio-system.svc.cluster.local",
      }),
    );
    expect(identity).toMatchObject({ type: "router", ip: "10.9.0.5", namespace: "istio-system", labels: {} });
  });

  it("treats GENERATOR=grpc as proxyless even with an Istio-form id", () => {
    const identity = parseProxyIdentity(
      create(NodeSchema, {
        id: "sidecar~10.1.2.4~ratings-1.default~default.svc.cluster.local",
        metadata: { GENERATOR: "grpc", LABELS: { app: "ratings" } },
      }),
    );
    expect(identity).toMatchObject({
      type: "proxyless",
      ip: "10.1.2.4",
      namespace: "default",
      labels: { app: "ratings" },
    });
  });

  it("treats a non-Istio id as a proxyless client: namespace from metadata, else default", () => {
    expect(parseProxyIdentity(create(NodeSchema, { id: "my-grpc-client", metadata: { NAMESPACE: "shop" } })))
      .toEqual({ id: "my-grpc-client", type: "proxyless", namespace: "shop", labels: {} });
    expect(parseProxyIdentity(create(NodeSchema, { id: "client-1" }))).toEqual({
      id: "client-1",
      type: "proxyless",
      namespace: "default",
      labels: {},
    });
    // Wrong proxy type or too few parts: not an Istio id.
    expect(parseProxyIdentity(create(NodeSchema, { id: "waypoint~1.2.3.4~a.b~b.svc.cluster.local" })).type)
      .toBe(
        "proxyless",
      );
    expect(parseProxyIdentity(create(NodeSchema, { id: "sidecar~1.2.3.4~a.b" })).type).toBe("proxyless");
  });

  it("keeps only scalar label values", () => {
    const identity = parseProxyIdentity(
      create(NodeSchema, { id: "x", metadata: { LABELS: { app: "a", replicas: 3, nested: { no: "pe" } } } }),
    );
    expect(identity.labels).toEqual({ app: "a", replicas: "3" });
  });
});
