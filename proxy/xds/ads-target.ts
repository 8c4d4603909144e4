// Finds the ADS server address: dynamic_resources.ads_config → envoy_grpc cluster → its first endpoint.
import type { Bootstrap } from "../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import type { ClusterManager } from "../cluster/cluster-manager.ts";
import { WeftError } from "../errors.ts";

export function adsTarget(bootstrap: Bootstrap, clusters: ClusterManager): { host: string; port: number } {
  const ads = bootstrap.dynamicResources!.adsConfig!;
  const service = ads.grpcServices[0]?.targetSpecifier;
  if (service?.case !== "envoyGrpc") {
    throw new WeftError(
      "config",
      "dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: required (the cluster of the control plane)",
    );
  }
  const name = service.value.clusterName;
  const cluster = clusters.get(name);
  if (!cluster) {
    throw new WeftError(
      "config",
      `dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: no static cluster named "${name}"`,
    );
  }
  const host = cluster.hosts()[0];
  if (!host) {
    throw new WeftError("config", `static_resources cluster "${name}" (the ADS server) has no endpoints`);
  }
  if (!bootstrap.node?.id) throw new WeftError("config", "node.id: required when dynamic_resources is set");
  return { host: host.address, port: host.port };
}
