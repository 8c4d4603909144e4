// The simulated proxies' one-level reads of xDS resources agree with full protobuf-es decoding.
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack, AnySchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  anyValue,
  clusterEdsName,
  deltaResource,
  deltaValue,
  listenerRouteNames,
  loadAssignmentHas,
  resourceName,
} from "../../../bench/control/wire.ts";
import { buildProxyResources } from "../../../control/translate/proxy-resources.ts";
import { ClusterSchema } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { ClusterLoadAssignmentSchema } from "../../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import { ListenerSchema } from "../../../gen/envoy/config/listener/v3/listener_pb.ts";
import { ResourceSchema } from "../../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import {
  BOOKINFO_ISTIO,
  BOOKINFO_KUBE,
  GRPC_CLIENT,
  PRODUCTPAGE,
  pushFor,
} from "../../control/translate/bookinfo.ts";
import { listenerRefs } from "../../../control/xds/consistency.ts";

const push = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO]);

describe("bench wire reads", () => {
  const sidecar = buildProxyResources(push, PRODUCTPAGE);
  const proxyless = buildProxyResources(push, GRPC_CLIENT);

  it("reads cluster names and EDS service names", () => {
    for (const c of sidecar.clusters) {
      const read = clusterEdsName(toBinary(ClusterSchema, c));
      expect(read.name).toBe(c.name);
      const eds = c.clusterDiscoveryType.case === "type" && c.clusterDiscoveryType.value === 3;
      expect(read.eds).toBe(eds ? c.edsClusterConfig?.serviceName || c.name : undefined);
    }
    expect(sidecar.clusters.some((c) => clusterEdsName(toBinary(ClusterSchema, c)).eds)).toBe(true);
  });

  it("reads the RDS names of listeners (filter chains and api_listener)", () => {
    for (const l of [...sidecar.listeners, ...proxyless.listeners]) {
      expect(listenerRouteNames(toBinary(ListenerSchema, l))).toEqual(listenerRefs(l).routeConfigs);
    }
    expect(proxyless.listeners.flatMap((l) => listenerRouteNames(toBinary(ListenerSchema, l))).length)
      .toBeGreaterThan(0);
  });

  it("reads names, Any values, delta Resources and endpoint addresses", () => {
    const cla = sidecar.endpoints.find((e) => e.endpoints.length > 0)!;
    const bytes = toBinary(ClusterLoadAssignmentSchema, cla);
    expect(resourceName(bytes)).toBe(cla.clusterName);
    const any = toBinary(AnySchema, anyPack(ClusterLoadAssignmentSchema, cla));
    expect(anyValue(any)).toEqual(bytes);
    const resource = toBinary(
      ResourceSchema,
      create(ResourceSchema, {
        name: cla.clusterName,
        version: "abc",
        resource: anyPack(ClusterLoadAssignmentSchema, cla),
      }),
    );
    const read = deltaResource(resource);
    expect(read.name).toBe(cla.clusterName);
    expect(deltaValue(read)).toEqual(bytes);
    const ep = cla.endpoints[0].lbEndpoints[0].hostIdentifier;
    const address = ep.case === "endpoint" && ep.value.address?.address.case === "socketAddress"
      ? ep.value.address.address.value.address
      : "";
    expect(loadAssignmentHas(bytes, address)).toBe(true);
    expect(loadAssignmentHas(bytes, "10.255.255.255")).toBe(false);
  });
});
