// DestinationRule traffic policies and ServiceEntry resolutions → Envoy clusters.
import { toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ClusterSchema } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import type { ConfigObject, ProxyIdentity } from "../../../control/model/types.ts";
import { createPushContext } from "../../../control/push-context/push-context.ts";
import { buildKubernetesContents } from "../../../control/registry/kubernetes.ts";
import { buildServiceEntryContents } from "../../../control/registry/service-entry.ts";
import { buildClusters } from "../../../control/translate/clusters.ts";
import { buildEndpoints } from "../../../control/translate/endpoints.ts";
import { createConfigRegistry } from "../../../proxy/config/registry.ts";
import { BOOKINFO_KUBE, GRPC_CLIENT, obj, pod, PRODUCTPAGE, service } from "./bookinfo.ts";

const registry = createConfigRegistry();
const RATINGS = "ratings.default.svc.cluster.local";

function clusters(config: readonly ConfigObject[], proxy: ProxyIdentity = PRODUCTPAGE) {
  const kube = buildKubernetesContents(config, "cluster.local");
  const se = buildServiceEntryContents(config);
  const push = createPushContext({
    services: [...kube.services, ...se.services],
    instances: [...kube.instances.values(), ...se.instances.values()].flat(),
    config,
  });
  const warnings: string[] = [];
  const list = buildClusters(push, proxy, (w) => warnings.push(w));
  const byName = Object.fromEntries(
    list.map((c) => [c.name, toJson(ClusterSchema, c, { registry }) as Record<string, unknown>]),
  );
  return { byName, warnings, endpoints: buildEndpoints(push, proxy) };
}

describe("DestinationRule → clusters", () => {
  const dr = obj("DestinationRule", "ratings", {
    host: "ratings",
    trafficPolicy: {
      loadBalancer: { simple: "ROUND_ROBIN" },
      connectionPool: {
        tcp: { maxConnections: 100, connectTimeout: "250ms" },
        http: { http1MaxPendingRequests: 10, http2MaxRequests: 1000, maxRetries: 3 },
      },
      outlierDetection: { consecutive5xxErrors: 5 },
      portLevelSettings: [{ port: { number: 9080 }, loadBalancer: { simple: "RANDOM" } }],
    },
    subsets: [
      { name: "v1", labels: { version: "v1" } },
      {
        name: "sticky",
        labels: { version: "v1" },
        trafficPolicy: { loadBalancer: { consistentHash: { ringHash: { minimumRingSize: 2048 } } } },
      },
    ],
  });
  const { byName, warnings } = clusters([...BOOKINFO_KUBE, dr]);

  it("port-level settings override the top level; connection pool → circuit breakers and connect timeout", () => {
    expect(byName[`outbound|9080||${RATINGS}`]).toMatchObject({
      type: "EDS",
      edsClusterConfig: {
        edsConfig: { ads: {}, resourceApiVersion: "V3" },
        serviceName: `outbound|9080||${RATINGS}`,
      },
      connectTimeout: "0.250s",
      lbPolicy: "RANDOM",
      circuitBreakers: {
        thresholds: [{ maxConnections: 100, maxPendingRequests: 10, maxRequests: 1000, maxRetries: 3 }],
      },
    });
  });

  it("a subset's policy overrides field by field; consistent hashing → RING_HASH", () => {
    expect(byName[`outbound|9080|sticky|${RATINGS}`]).toMatchObject({
      lbPolicy: "RING_HASH",
      ringHashLbConfig: { minimumRingSize: "2048" },
      connectTimeout: "0.250s",
    });
    expect(byName[`outbound|9080|v1|${RATINGS}`]).toMatchObject({ lbPolicy: "RANDOM" });
  });

  it("outlier detection is left out with a warning; other services get Istio's defaults", () => {
    expect(byName[`outbound|9080||${RATINGS}`].outlierDetection).toBeUndefined();
    expect(warnings).toContain(
      `outbound|9080||${RATINGS}: outlier detection is not supported by Weft's proxy yet; it is left out`,
    );
    expect(byName["outbound|9080||details.default.svc.cluster.local"]).toMatchObject({
      connectTimeout: "10s",
      lbPolicy: "LEAST_REQUEST",
      circuitBreakers: { thresholds: [{ maxConnections: 4294967295, maxRetries: 4294967295 }] },
    });
  });
});

describe("protocols and resolutions", () => {
  it("gRPC / HTTP2 ports get HTTP/2 upstream options; useClientProtocol follows the downstream", () => {
    const grpcSvc = obj("Service", "greeter", {
      selector: { app: "greeter" },
      ports: [{ name: "grpc-api", port: 50051 }, { name: "http-web", port: 8080, appProtocol: "http2" }, {
        name: "http",
        port: 80,
      }],
    });
    const dr = obj("DestinationRule", "greeter", {
      host: "greeter",
      trafficPolicy: {
        portLevelSettings: [{ port: { number: 80 }, connectionPool: { http: { useClientProtocol: true } } }],
      },
    });
    const { byName } = clusters([grpcSvc, dr, pod("greeter", "v1", "10.0.0.60", 50051)]);
    const h2 = {
      typedExtensionProtocolOptions: {
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
          explicitHttpConfig: { http2ProtocolOptions: {} },
        },
      },
    };
    expect(byName["outbound|50051||greeter.default.svc.cluster.local"]).toMatchObject(h2);
    expect(byName["outbound|8080||greeter.default.svc.cluster.local"]).toMatchObject(h2);
    expect(byName["outbound|80||greeter.default.svc.cluster.local"]).toMatchObject({
      typedExtensionProtocolOptions: {
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": { useDownstreamProtocolConfig: {} },
      },
    });
  });

  it("a DNS ServiceEntry becomes a STRICT_DNS cluster (LOGICAL_DNS for gRPC) with inline endpoints, no EDS", () => {
    const se = obj("ServiceEntry", "httpbin", {
      hosts: ["httpbin.org"],
      ports: [{ number: 80, name: "http", protocol: "HTTP" }],
      resolution: "DNS",
      location: "MESH_EXTERNAL",
    });
    const sidecar = clusters([se]);
    expect(sidecar.byName["outbound|80||httpbin.org"]).toMatchObject({
      type: "STRICT_DNS",
      dnsLookupFamily: "V4_ONLY",
      loadAssignment: {
        endpoints: [{
          lbEndpoints: [{
            endpoint: { address: { socketAddress: { address: "httpbin.org", portValue: 80 } } },
          }],
        }],
      },
    });
    expect(sidecar.endpoints).toEqual([]);
    expect(clusters([se], GRPC_CLIENT).byName["outbound|80||httpbin.org"]).toMatchObject({
      type: "LOGICAL_DNS",
    });
  });

  it("a sidecar gets inbound|<targetPort>|| clusters for its own workload ports", () => {
    const svc = service("productpage", { ports: [{ name: "http", port: 80, targetPort: "http" }] });
    const { byName } = clusters([svc, pod("productpage", "v1", "10.0.0.10")]);
    expect(Object.keys(byName)).toEqual([
      "outbound|80||productpage.default.svc.cluster.local",
      "inbound|9080||",
    ]);
    expect(byName["inbound|9080||"]).toMatchObject({ type: "STATIC" });
  });
});
