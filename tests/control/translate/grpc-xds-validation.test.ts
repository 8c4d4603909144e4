// Proxyless output decoded and validated by @grpc/grpc-js-xds's own resource types (what a gRPC client would accept).
import { createRequire } from "node:module";
import { type DescMessage, type Message, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ClusterSchema } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { ClusterLoadAssignmentSchema } from "../../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import { ListenerSchema } from "../../../gen/envoy/config/listener/v3/listener_pb.ts";
import { RouteConfigurationSchema } from "../../../gen/envoy/config/route/v3/route_pb.ts";
import { TYPE_URLS } from "../../../control/xds/snapshot.ts";
import { buildProxyResources } from "../../../control/translate/proxy-resources.ts";
import { BOOKINFO_ISTIO, BOOKINFO_KUBE, GRPC_CLIENT, obj, pushFor } from "./bookinfo.ts";

const require = createRequire(import.meta.url);
// registers the router filter and LB policies the validators consult, as a real gRPC client does
require("@grpc/grpc-js-xds").register();
const base = "@grpc/grpc-js-xds/build/src/xds-resource-type";
interface Decoded {
  readonly name: string;
  readonly value?: Record<string, unknown>;
  readonly error?: string;
}
interface ResourceType {
  decode(context: unknown, resource: { type_url: string; value: Uint8Array }): Decoded;
}
const types = {
  listener: require(`${base}/listener-resource-type.js`).ListenerResourceType.get() as ResourceType,
  route: require(`${base}/route-config-resource-type.js`).RouteConfigurationResourceType
    .get() as ResourceType,
  cluster: require(`${base}/cluster-resource-type.js`).ClusterResourceType.get() as ResourceType,
  endpoint: require(`${base}/endpoint-resource-type.js`).EndpointResourceType.get() as ResourceType,
};
const context = { bootstrap: { certificateProviders: {} }, server: undefined };

function decodeAll<T extends Message>(
  kind: keyof typeof types,
  schema: DescMessage,
  list: readonly T[],
): Decoded[] {
  return list.map((m) =>
    types[kind].decode(context, { type_url: TYPE_URLS[kind], value: Buffer.from(toBinary(schema, m)) })
  );
}

const EXTRA = [
  obj("DestinationRule", "ratings", {
    host: "ratings",
    trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: "x-user" } } },
  }),
  obj("DestinationRule", "details", {
    host: "details",
    trafficPolicy: { loadBalancer: { simple: "LEAST_REQUEST" } },
  }),
  obj("VirtualService", "details", {
    hosts: ["details"],
    http: [
      { match: [{ uri: { prefix: "/old" } }], redirect: { uri: "/new" } },
      { match: [{ queryParams: { debug: { exact: "1" } } }], route: [{ destination: { host: "details" } }] },
      {
        match: [{ uri: { regex: "/d/[0-9]+" }, method: { exact: "GET" } }],
        retries: { attempts: 3, perTryTimeout: "2s", retryOn: "unavailable,503" },
        timeout: "5s",
        route: [{ destination: { host: "details" } }],
      },
      { route: [{ destination: { host: "details" } }] },
    ],
  }),
];

describe("proxyless output passes @grpc/grpc-js-xds validation", () => {
  const push = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO, ...EXTRA]);
  const r = buildProxyResources(push, GRPC_CLIENT);

  it("listeners: api_listener HCM with RDS over ADS", () => {
    const decoded = decodeAll("listener", ListenerSchema, r.listeners);
    expect(decoded.map((d) => d.error)).toEqual(decoded.map(() => undefined));
    expect(decoded.map((d) => d.name)).toContain("reviews.default.svc.cluster.local:9080");
  });

  it("route configurations: supported matches and actions only", () => {
    const decoded = decodeAll("route", RouteConfigurationSchema, r.routes);
    expect(decoded.map((d) => d.error)).toEqual(decoded.map(() => undefined));
    const details = r.routes.find((rc) => rc.name === "details.default.svc.cluster.local:9080")!;
    // the redirect and the query-parameter match are left out for gRPC, the rest kept in order
    expect(details.virtualHosts[0].routes.map((x) => x.match?.pathSpecifier.case)).toEqual([
      "safeRegex",
      "prefix",
    ]);
    expect(r.warnings).toContain(
      "VirtualService default/details http[0]: proxyless gRPC cannot send redirects or direct responses; the route is left out",
    );
    expect(r.warnings.some((w) => w.includes("cannot match query parameters"))).toBe(true);
  });

  it("clusters: EDS over ADS, ROUND_ROBIN or RING_HASH", () => {
    const decoded = decodeAll("cluster", ClusterSchema, r.clusters);
    expect(decoded.map((d) => d.error)).toEqual(decoded.map(() => undefined));
    const lb = Object.fromEntries(decoded.map((d) => [d.name, JSON.stringify(d.value?.lbPolicyConfig)]));
    expect(lb["outbound|9080||ratings.default.svc.cluster.local"]).toContain("ring_hash");
    expect(lb["outbound|9080||details.default.svc.cluster.local"]).toContain("round_robin");
    expect(r.warnings.some((w) => w.includes("LEAST_REQUEST → ROUND_ROBIN"))).toBe(true);
  });

  it("endpoints: weighted localities with IP addresses", () => {
    const decoded = decodeAll("endpoint", ClusterLoadAssignmentSchema, r.endpoints);
    expect(decoded.map((d) => d.error)).toEqual(decoded.map(() => undefined));
    const v3 = decoded.find((d) => d.name === "outbound|9080|v3|reviews.default.svc.cluster.local")!;
    expect(JSON.stringify(v3.value)).toContain("10.0.0.23");
  });
});
