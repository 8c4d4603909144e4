// TCP and TLS VirtualService routes, gateway TCP/TLS-passthrough servers, and what gateways leave out.
import { toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ListenerSchema } from "../../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { ConfigObject, ProxyIdentity } from "../../../control/model/types.ts";
import { createPushContext } from "../../../control/push-context/push-context.ts";
import { buildKubernetesContents } from "../../../control/registry/kubernetes.ts";
import { buildServiceEntryContents } from "../../../control/registry/service-entry.ts";
import { buildProxyResources } from "../../../control/translate/proxy-resources.ts";
import { createConfigRegistry } from "../../../proxy/config/registry.ts";
import { findUnsupportedFields } from "../../../proxy/config/validate.ts";
import { INGRESS, obj, pod, PRODUCTPAGE } from "./bookinfo.ts";

const registry = createConfigRegistry();

function translate(config: readonly ConfigObject[], proxy: ProxyIdentity) {
  const kube = buildKubernetesContents(config, "cluster.local");
  const se = buildServiceEntryContents(config);
  const push = createPushContext({
    services: [...kube.services, ...se.services],
    instances: [...kube.instances.values(), ...se.instances.values()].flat(),
    config,
  });
  const r = buildProxyResources(push, proxy);
  for (const m of [...r.listeners, ...r.routes, ...r.clusters, ...r.endpoints]) {
    expect(findUnsupportedFields(m, registry)).toEqual([]);
  }
  const listeners = Object.fromEntries(
    r.listeners.map((l) => [l.name, toJson(ListenerSchema, l, { registry }) as Record<string, unknown>]),
  );
  return { r, listeners };
}

const mongo = obj("Service", "mongo", {
  selector: { app: "mongo" },
  clusterIP: "10.96.0.40",
  ports: [{ name: "mongo", port: 27017 }],
});

describe("TCP and TLS routes on a sidecar", () => {
  it("a tcp route splits a TCP service's connections by weight", () => {
    const vs = obj("VirtualService", "mongo", {
      hosts: ["mongo"],
      tcp: [{
        match: [{ port: 27017 }],
        route: [
          { destination: { host: "mongo", subset: "v1" }, weight: 90 },
          { destination: { host: "mongo", subset: "v2" }, weight: 10 },
        ],
      }],
    });
    const { listeners } = translate([mongo, pod("mongo", "v1", "10.0.0.41", 27017), vs], PRODUCTPAGE);
    expect(listeners["10.96.0.40_27017"]).toMatchObject({
      filterChains: [{
        filters: [{
          name: "envoy.filters.network.tcp_proxy",
          typedConfig: {
            weightedClusters: {
              clusters: [
                { name: "outbound|27017|v1|mongo.default.svc.cluster.local", weight: 90 },
                { name: "outbound|27017|v2|mongo.default.svc.cluster.local", weight: 10 },
              ],
            },
          },
        }],
      }],
    });
  });

  it("TLS ServiceEntries without an address share 0.0.0.0:443, one filter chain per SNI", () => {
    const se = (name: string, host: string) =>
      obj("ServiceEntry", name, {
        hosts: [host],
        ports: [{ number: 443, name: "tls", protocol: "TLS" }],
        resolution: "DNS",
      });
    const vs = obj("VirtualService", "api", {
      hosts: ["api.example.com"],
      tls: [{
        match: [{ sniHosts: ["api.example.com"] }],
        route: [{ destination: { host: "api-v2.example.com" } }],
      }],
    });
    const { listeners } = translate(
      [se("api", "api.example.com"), se("api-v2", "api-v2.example.com"), vs],
      PRODUCTPAGE,
    );
    const l = listeners["0.0.0.0_443"] as { filterChains: { filterChainMatch: { serverNames: string[] } }[] };
    expect(l).toMatchObject({ listenerFilters: [{ name: "envoy.filters.listener.tls_inspector" }] });
    expect(l.filterChains.map((c) => c.filterChainMatch.serverNames)).toEqual([
      ["api-v2.example.com"],
      ["api.example.com"],
    ]);
    // the tls route sends api.example.com to api-v2's cluster
    expect(JSON.stringify(l.filterChains[1])).toContain("outbound|443||api-v2.example.com");
  });
});

describe("gateway servers", () => {
  const gateway = obj("Gateway", "edge", {
    selector: { istio: "ingressgateway" },
    servers: [
      {
        port: { number: 80, name: "http", protocol: "HTTP" },
        hosts: ["default/shop.example.com"],
        tls: { httpsRedirect: true },
      },
      {
        port: { number: 443, name: "https", protocol: "HTTPS" },
        hosts: ["*"],
        tls: { mode: "SIMPLE", credentialName: "cert" },
      },
      {
        port: { number: 8443, name: "tls", protocol: "TLS" },
        hosts: ["*.example.com"],
        tls: { mode: "PASSTHROUGH" },
      },
      { port: { number: 27017, name: "mongo", protocol: "MONGO" }, hosts: ["*"] },
    ],
  }, { namespace: "istio-system" });
  const vs = obj("VirtualService", "edge", {
    hosts: ["shop.example.com", "db.example.com", "other.test"],
    gateways: ["istio-system/edge"],
    http: [{ route: [{ destination: { host: "mongo" } }] }],
    tls: [{
      match: [{ sniHosts: ["db.example.com", "other.test"] }],
      route: [{ destination: { host: "mongo" } }],
    }],
    tcp: [{ match: [{ port: 27017 }], route: [{ destination: { host: "mongo", port: { number: 27017 } } }] }],
  });
  const { r, listeners } = translate([mongo, gateway, vs], INGRESS);

  it("HTTP server: RDS http.<port>, virtual hosts from bound VirtualServices, httpsRedirect → require_tls", () => {
    expect(Object.keys(listeners)).toEqual(["0.0.0.0_80", "0.0.0.0_8443", "0.0.0.0_27017"]);
    const route = r.routes.find((x) => x.name === "http.80")!;
    expect(route.virtualHosts.map((v) => [v.name, v.domains, v.requireTls])).toEqual([
      ["shop.example.com:80", ["shop.example.com", "shop.example.com:*"], 2],
    ]);
  });

  it("TLS passthrough: SNI chains limited to the server hosts; TCP: tcp_proxy from the tcp route", () => {
    expect(listeners["0.0.0.0_8443"]).toMatchObject({
      filterChains: [{ filterChainMatch: { serverNames: ["db.example.com"] } }],
    });
    expect(JSON.stringify(listeners["0.0.0.0_27017"])).toContain(
      "outbound|27017||mongo.default.svc.cluster.local",
    );
  });

  it("TLS termination is left out with a warning (no SDS yet)", () => {
    expect(r.warnings).toContain(
      "Gateway istio-system/edge port 443: TLS termination (mode SIMPLE) needs certificates over SDS, " +
        "which Weft does not serve yet; the server is left out",
    );
  });
});
