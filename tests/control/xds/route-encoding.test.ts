// RouteConfigurations assembled from cached virtual-host encodings are byte-for-byte what protobuf-es writes.
import { create, toBinary } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import {
  encodeResource,
  encodeRouteConfiguration,
  encodeVirtualHost,
} from "../../../control/xds/route-encoding.ts";
import { ClusterSchema } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import {
  RouteSchema,
  VirtualHost_TlsRequirementType,
  VirtualHostSchema,
} from "../../../gen/envoy/config/route/v3/route_components_pb.ts";
import { RouteConfigurationSchema } from "../../../gen/envoy/config/route/v3/route_pb.ts";

const vhost = (i: number) =>
  create(VirtualHostSchema, {
    name: `svc-${i}.default.svc.cluster.local:80`,
    domains: [`svc-${i}.default.svc.cluster.local`, `svc-${i}`],
    routes: [{
      name: "default",
      match: { pathSpecifier: { case: "prefix", value: "/" } },
      action: {
        case: "route",
        value: { clusterSpecifier: { case: "cluster", value: `outbound|80||svc-${i}` } },
      },
    }],
  });

describe("RouteConfiguration encoding from virtual hosts", () => {
  it("equals toBinary for a configuration using fields before and after virtual_hosts", () => {
    const shared = [vhost(1), vhost(2), vhost(3)];
    const rc = create(RouteConfigurationSchema, {
      name: "80",
      virtualHosts: shared,
      internalOnlyHeaders: ["x-internal"], // field 3
      validateClusters: false, // field 7
      requestHeadersToRemove: ["x-drop"],
      maxDirectResponseBodySizeBytes: 4096,
    });
    rc.$unknown = [{ no: 999, wireType: WireType.Varint, data: new Uint8Array([1]) }];
    expect(encodeRouteConfiguration(rc)).toEqual(toBinary(RouteConfigurationSchema, rc));
    // Another configuration sharing the same virtual host objects (and their cached encodings).
    const other = create(RouteConfigurationSchema, {
      name: "9080",
      virtualHosts: [shared[2], vhost(4), shared[0]],
    });
    expect(encodeRouteConfiguration(other)).toEqual(toBinary(RouteConfigurationSchema, other));
  });

  it("equals toBinary with no or one virtual host, and leaves other types to protobuf-es", () => {
    for (const virtualHosts of [[], [vhost(1)]]) {
      const rc = create(RouteConfigurationSchema, { name: "x", virtualHosts });
      expect(encodeRouteConfiguration(rc)).toEqual(toBinary(RouteConfigurationSchema, rc));
    }
    const cluster = create(ClusterSchema, { name: "c" });
    expect(encodeResource(ClusterSchema, cluster)).toEqual(toBinary(ClusterSchema, cluster));
  });

  it("encodes virtual hosts that share route objects, with fields before and after routes, as toBinary does", () => {
    const route = create(RouteSchema, {
      name: "default",
      match: { pathSpecifier: { case: "prefix", value: "/" } },
      action: { case: "route", value: { clusterSpecifier: { case: "cluster", value: "outbound|80||a" } } },
    });
    const own = create(VirtualHostSchema, {
      name: "a:80",
      domains: ["a", "a.ns", "a.ns.svc"],
      routes: [route],
    });
    const other = create(VirtualHostSchema, {
      name: "a:80",
      domains: ["a.ns"],
      routes: [route, route],
      requireTls: VirtualHost_TlsRequirementType.ALL, // field 4
      includeRequestAttemptCount: true, // field 14
    });
    other.$unknown = [{ no: 999, wireType: WireType.Varint, data: new Uint8Array([7]) }];
    for (const vh of [own, other, create(VirtualHostSchema, { name: "empty" })]) {
      expect(encodeVirtualHost(vh)).toEqual(toBinary(VirtualHostSchema, vh));
    }
    const rc = create(RouteConfigurationSchema, { name: "80", virtualHosts: [own, other] });
    expect(encodeRouteConfiguration(rc)).toEqual(toBinary(RouteConfigurationSchema, rc));
  });
});
