// Renders /config_dump in Envoy's shape: bootstrap, then listeners, clusters, routes and endpoints (static and xDS).
import { type Registry, toJson } from "@bufbuild/protobuf";
import { BootstrapSchema } from "../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import { ClusterSchema } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { ClusterLoadAssignmentSchema } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import { ListenerSchema } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import { RouteConfigurationSchema } from "../../gen/envoy/config/route/v3/route_pb.ts";
import type { Proxy } from "../proxy.ts";
import { XDS_TYPES } from "../xds/xds-handlers.ts";

const ADMIN = "type.googleapis.com/envoy.admin.v3.";

export function renderConfigDump(proxy: Proxy, registry: Registry): unknown {
  const dump = proxy.configDump();
  const json = { registry };
  const version = (type: string) => dump.versions.get(type) ?? "";
  const staticNames = new Set((proxy.bootstrap.staticResources?.listeners ?? []).map((l) => l.name));
  const listeners = dump.listeners.map((l) => ({ name: l.name, listener: toJson(ListenerSchema, l, json) }));
  return {
    configs: [
      { "@type": `${ADMIN}BootstrapConfigDump`, bootstrap: toJson(BootstrapSchema, proxy.bootstrap, json) },
      {
        "@type": `${ADMIN}ListenersConfigDump`,
        version_info: version(XDS_TYPES.listener),
        static_listeners: listeners.filter((l) => staticNames.has(l.name)).map((l) => ({
          listener: l.listener,
        })),
        dynamic_listeners: listeners.filter((l) => !staticNames.has(l.name)).map((l) => ({
          name: l.name,
          active_state: { version_info: version(XDS_TYPES.listener), listener: l.listener },
        })),
      },
      {
        "@type": `${ADMIN}ClustersConfigDump`,
        version_info: version(XDS_TYPES.cluster),
        static_clusters: dump.clusters.filter((c) => !c.dynamic).map((c) => ({
          cluster: toJson(ClusterSchema, c.config, json),
        })),
        dynamic_active_clusters: dump.clusters.filter((c) => c.dynamic).map((c) => ({
          version_info: version(XDS_TYPES.cluster),
          cluster: toJson(ClusterSchema, c.config, json),
        })),
      },
      {
        "@type": `${ADMIN}RoutesConfigDump`,
        dynamic_route_configs: dump.routes.map((r) => ({
          version_info: version(XDS_TYPES.route),
          route_config: toJson(RouteConfigurationSchema, r, json),
        })),
      },
      {
        "@type": `${ADMIN}EndpointsConfigDump`,
        dynamic_endpoint_configs: dump.endpoints.map((e) => ({
          version_info: version(XDS_TYPES.endpoint),
          endpoint_config: toJson(ClusterLoadAssignmentSchema, e, json),
        })),
      },
    ],
  };
}
