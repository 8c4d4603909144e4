// Golden files: Bookinfo translated for a sidecar, an ingress gateway and a proxyless gRPC client (WEFT_UPDATE_GOLDEN=1 rewrites).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DescMessage, equals, fromJson, type Message, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ClusterSchema } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { ClusterLoadAssignmentSchema } from "../../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import { ListenerSchema } from "../../../gen/envoy/config/listener/v3/listener_pb.ts";
import { RouteConfigurationSchema } from "../../../gen/envoy/config/route/v3/route_pb.ts";
import type { ProxyIdentity } from "../../../control/model/types.ts";
import { buildProxyResources, type ProxyResources } from "../../../control/translate/proxy-resources.ts";
import { createConfigRegistry } from "../../../proxy/config/registry.ts";
import { BOOKINFO_ISTIO, BOOKINFO_KUBE, GRPC_CLIENT, INGRESS, PRODUCTPAGE, pushFor } from "./bookinfo.ts";

const registry = createConfigRegistry();
const dir = join(import.meta.dirname, "golden");
const update = process.env.WEFT_UPDATE_GOLDEN === "1";

function jsonOf<T extends Message>(schema: DescMessage, list: readonly T[]) {
  return list.map((m) => {
    const json = toJson(schema, m, { registry });
    // every produced resource survives a JSON round trip unchanged
    expect(equals(schema, fromJson(schema, json, { registry }), m, { registry, unpackAny: true })).toBe(true);
    return json;
  });
}

export function resourcesJson(r: ProxyResources) {
  return {
    listeners: jsonOf(ListenerSchema, r.listeners),
    routes: jsonOf(RouteConfigurationSchema, r.routes),
    clusters: jsonOf(ClusterSchema, r.clusters),
    endpoints: jsonOf(ClusterLoadAssignmentSchema, r.endpoints),
    warnings: r.warnings,
  };
}

function checkGolden(file: string, proxy: ProxyIdentity) {
  const push = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO]);
  const actual = JSON.stringify(resourcesJson(buildProxyResources(push, proxy)), null, 2) + "\n";
  const path = join(dir, file);
  if (update) writeFileSync(path, actual);
  if (!existsSync(path)) throw new Error(`${file} is missing: run with WEFT_UPDATE_GOLDEN=1 to write it`);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

describe("golden: Bookinfo", () => {
  it("productpage sidecar", () => checkGolden("bookinfo-sidecar.json", PRODUCTPAGE));
  it("ingress gateway", () => checkGolden("bookinfo-gateway.json", INGRESS));
  it("proxyless gRPC client", () => checkGolden("bookinfo-proxyless.json", GRPC_CLIENT));

  it("is deterministic: the same push context gives equal resources", () => {
    const push = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO]);
    const a = JSON.stringify(resourcesJson(buildProxyResources(push, PRODUCTPAGE)));
    const b = JSON.stringify(
      resourcesJson(buildProxyResources(pushFor([...BOOKINFO_ISTIO, ...BOOKINFO_KUBE]), PRODUCTPAGE)),
    );
    expect(b).toBe(a);
  });
});
