// The proxy following a real gRPC ADS server: warming, ACK/NACK with the last good config kept, reconnect.
import { fromJson } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterSchema } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { ClusterLoadAssignmentSchema } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import { ListenerSchema } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import { RouteConfigurationSchema } from "../../gen/envoy/config/route/v3/route_pb.ts";
import { createConfigRegistry } from "../../proxy/config/registry.ts";
import { XDS_TYPES } from "../../proxy/xds/xds-handlers.ts";
import { curl, startProxy, startUpstream, type TestProxy, type Upstream } from "../support/harness.ts";
import { type ScriptedAds, startScriptedAds } from "../support/scripted-ads-server.ts";

const registry = createConfigRegistry();
const listenerPort = 21000 + Math.floor(Math.random() * 20000);

function listener(routeName: string) {
  return fromJson(ListenerSchema, {
    name: "outbound_http",
    address: { socket_address: { address: "127.0.0.1", port_value: listenerPort } },
    filter_chains: [{
      filters: [{
        name: "envoy.filters.network.http_connection_manager",
        typed_config: {
          "@type":
            "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
          stat_prefix: "outbound",
          rds: { route_config_name: routeName, config_source: { ads: {}, resource_api_version: "V3" } },
          http_filters: [{
            name: "envoy.filters.http.router",
            typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
          }],
        },
      }],
    }],
  }, { registry });
}

function routes(name: string, cluster: string, prefix = "/") {
  return fromJson(RouteConfigurationSchema, {
    name,
    virtual_hosts: [{ name: "all", domains: ["*"], routes: [{ match: { prefix }, route: { cluster } }] }],
  });
}

function edsCluster(name: string) {
  return fromJson(ClusterSchema, {
    name,
    type: "EDS",
    connect_timeout: "0.5s",
    eds_cluster_config: { service_name: name, eds_config: { ads: {}, resource_api_version: "V3" } },
  });
}

function endpoints(name: string, port: number) {
  return fromJson(ClusterLoadAssignmentSchema, {
    cluster_name: name,
    endpoints: [{
      lb_endpoints: [{
        endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: port } } },
      }],
    }],
  });
}

describe("xDS client", () => {
  let ads: ScriptedAds;
  let proxy: TestProxy;
  let v1: Upstream, v2: Upstream;
  const log: string[] = [];

  beforeAll(async () => {
    v1 = await startUpstream("v1");
    v2 = await startUpstream("v2");
    ads = await startScriptedAds();
    proxy = await startProxy(
      `
node: { id: "sidecar~127.0.0.1~web-1.default~default.svc.cluster.local", cluster: web }
dynamic_resources:
  ads_config: { api_type: GRPC, transport_api_version: V3, grpc_services: [{ envoy_grpc: { cluster_name: xds-grpc } }] }
  cds_config: { ads: {}, resource_api_version: V3 }
  lds_config: { ads: {}, resource_api_version: V3 }
static_resources:
  clusters:
    - name: xds-grpc
      type: STATIC
      connect_timeout: 1s
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
          explicit_http_config: { http2_protocol_options: {} }
      load_assignment:
        cluster_name: xds-grpc
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ads.port} } } } }] }]
`,
      { log },
    );
  });

  afterAll(async () => {
    await proxy?.close();
    await ads?.close();
    await v1?.close();
    await v2?.close();
  });

  it("identifies itself with its node on the first request and subscribes to CDS and LDS", async () => {
    const first = await ads.waitFor(() => true);
    expect(first.node?.id).toBe("sidecar~127.0.0.1~web-1.default~default.svc.cluster.local");
    await ads.waitFor((r) => r.typeUrl === XDS_TYPES.cluster && r.resourceNames.length === 0);
    await ads.waitFor((r) => r.typeUrl === XDS_TYPES.listener);
  });

  it("warms clusters, endpoints, listeners and routes, then serves traffic and ACKs each version", async () => {
    ads.push(XDS_TYPES.cluster, "c1", ClusterSchema, [edsCluster("web")]);
    const eds = await ads.waitFor((r) => r.typeUrl === XDS_TYPES.endpoint && r.resourceNames.includes("web"));
    expect(eds.resourceNames).toEqual(["web"]);
    ads.push(XDS_TYPES.endpoint, "e1", ClusterLoadAssignmentSchema, [endpoints("web", v1.port)]);
    ads.push(XDS_TYPES.listener, "l1", ListenerSchema, [listener("web-routes")]);
    await ads.waitFor((r) => r.typeUrl === XDS_TYPES.route && r.resourceNames.includes("web-routes"));
    ads.push(XDS_TYPES.route, "r1", RouteConfigurationSchema, [routes("web-routes", "web")]);
    await ads.waitFor((r) => r.typeUrl === XDS_TYPES.route && r.versionInfo === "r1" && !r.errorDetail);
    await ads.waitFor((r) => r.typeUrl === XDS_TYPES.listener && r.versionInfo === "l1");
    const res = await curl([`http://127.0.0.1:${listenerPort}/hello`]);
    expect(res.status).toBe(200);
    expect(res.body).toBe("v1");
  });

  it("NACKs an invalid route configuration with error_detail and keeps routing on the last good one", async () => {
    const bad = fromJson(RouteConfigurationSchema, {
      name: "web-routes",
      virtual_hosts: [{
        name: "all",
        domains: ["*"],
        routes: [{ match: { safe_regex: { regex: "(" } }, route: { cluster: "web" } }],
      }],
    });
    ads.push(XDS_TYPES.route, "r2", RouteConfigurationSchema, [bad]);
    const nack = await ads.waitFor((r) => r.typeUrl === XDS_TYPES.route && r.errorDetail !== undefined);
    expect(nack.versionInfo).toBe("r1");
    expect(nack.errorDetail!.message).toContain("safe_regex");
    expect((await curl([`http://127.0.0.1:${listenerPort}/still`])).body).toBe("v1");
  });

  it("NACKs a cluster using an unsupported field, naming it", async () => {
    const withOutlier = fromJson(ClusterSchema, {
      name: "web2",
      type: "EDS",
      outlier_detection: {},
      eds_cluster_config: { eds_config: { ads: {} } },
    });
    ads.push(XDS_TYPES.cluster, "c2", ClusterSchema, [edsCluster("web"), withOutlier]);
    const nack = await ads.waitFor((r) => r.typeUrl === XDS_TYPES.cluster && r.errorDetail !== undefined);
    expect(nack.errorDetail!.message).toContain("outlier_detection");
    expect(nack.versionInfo).toBe("c1");
    expect((await curl([`http://127.0.0.1:${listenerPort}/x`])).status).toBe(200);
  });

  it("applies an endpoint change live", async () => {
    ads.push(XDS_TYPES.endpoint, "e2", ClusterLoadAssignmentSchema, [endpoints("web", v2.port)]);
    await ads.waitFor((r) => r.typeUrl === XDS_TYPES.endpoint && r.versionInfo === "e2");
    expect((await curl([`http://127.0.0.1:${listenerPort}/x`])).body).toBe("v2");
  });

  it("keeps serving when the control plane goes away, and resyncs when it returns", async () => {
    const port = ads.port;
    await ads.close();
    for (let i = 0; i < 5; i++) {
      expect((await curl([`http://127.0.0.1:${listenerPort}/down`])).body).toBe("v2");
    }
    expect(log.some((l) => l.includes("serving the last good config"))).toBe(true);
    ads = await startScriptedAds(port);
    const hello = await ads.waitFor((r) => r.node !== undefined, 15_000);
    expect(hello.node?.id).toContain("sidecar~");
    const resumed = await ads.waitFor((r) => r.typeUrl === XDS_TYPES.cluster);
    expect(resumed.versionInfo).toBe("c1");
    ads.push(XDS_TYPES.route, "r3", RouteConfigurationSchema, [routes("web-routes", "web", "/only/")]);
    await ads.waitFor((r) => r.typeUrl === XDS_TYPES.route && r.versionInfo === "r3");
    expect((await curl([`http://127.0.0.1:${listenerPort}/x`])).status).toBe(404);
    expect((await curl([`http://127.0.0.1:${listenerPort}/only/x`])).body).toBe("v2");
  }, 30_000);
});
