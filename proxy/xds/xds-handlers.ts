// CDS, EDS, LDS and RDS handlers: decode, validate against the supported subset, apply atomically; LDS warms on RDS.
import type { DescMessage, MessageShape, Registry } from "@bufbuild/protobuf";
import { type Any, anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import { ClusterSchema } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { ClusterLoadAssignmentSchema } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import { type Listener, ListenerSchema } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import { RouteConfigurationSchema } from "../../gen/envoy/config/route/v3/route_pb.ts";
import { HttpConnectionManagerSchema } from "../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import type { ClusterManager } from "../cluster/cluster-manager.ts";
import type { ListenerManager } from "../listener/listener-manager.ts";
import type { RouteStore } from "../http/route-store.ts";
import type { Runtime, TimerHandle } from "../runtime/types.ts";
import { findUnsupportedFields } from "../config/validate.ts";
import { WeftError } from "../errors.ts";
import type { XdsTypeHandler } from "./ads-client.ts";

export const XDS_TYPES = {
  cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
  endpoint: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
  listener: "type.googleapis.com/envoy.config.listener.v3.Listener",
  route: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
} as const;

/** How long a listener waits for its route configurations before it starts anyway (Envoy's initial_fetch_timeout). */
const WARMING_TIMEOUT_MS = 15_000;

export interface XdsTargets {
  readonly runtime: Runtime;
  readonly registry: Registry;
  readonly clusters: ClusterManager;
  readonly listeners: ListenerManager;
  readonly routes: RouteStore;
}

function decodeAll<D extends DescMessage>(
  schema: D,
  resources: readonly Any[],
  registry: Registry,
  kind: string,
): MessageShape<D>[] {
  return resources.map((any, i) => {
    if (!anyIs(any, schema)) {
      throw new WeftError("config", `resources[${i}]: expected ${schema.typeName}, got ${any.typeUrl}`);
    }
    const message = anyUnpack(any, schema)!;
    const issues = findUnsupportedFields(message, registry);
    if (issues.length) {
      const name = (message as { name?: string; clusterName?: string }).name ??
        (message as { clusterName?: string }).clusterName;
      throw new WeftError(
        "config",
        `${kind} ${name}: ${issues.map((x) => `${x.path}: ${x.message}`).join("; ")}`,
      );
    }
    return message;
  });
}

export function createXdsHandlers(t: XdsTargets): XdsTypeHandler[] {
  let pending: { listeners: Listener[]; timer: TimerHandle } | undefined;
  const activate = async (listeners: Listener[]) => {
    await t.listeners.applyDynamic(listeners, "lds");
  };
  const routesReady = (names: Iterable<string>) => [...names].every((n) => t.routes.get(n) !== undefined);

  return [
    {
      typeUrl: XDS_TYPES.cluster,
      names: () => [],
      async apply(resources) {
        await t.clusters.applyDynamic(decodeAll(ClusterSchema, resources, t.registry, "cluster"), "cds");
      },
    },
    {
      typeUrl: XDS_TYPES.endpoint,
      names: () => t.clusters.edsNames().sort(),
      async apply(resources) {
        const assignments = decodeAll(ClusterLoadAssignmentSchema, resources, t.registry, "endpoints");
        for (const a of assignments) t.clusters.updateEndpoints(a);
      },
    },
    {
      typeUrl: XDS_TYPES.listener,
      names: () => [],
      async apply(resources) {
        const listeners = decodeAll(ListenerSchema, resources, t.registry, "listener");
        // Validate by building (throws → NACK); listeners whose routes are missing warm until RDS arrives.
        const needed = new Set<string>();
        for (const l of listeners) for (const n of rdsNamesOf(l)) needed.add(n);
        await t.listeners.validate(listeners, "lds");
        if (pending) t.runtime.clock.clearTimeout(pending.timer);
        pending = undefined;
        if (routesReady(needed)) return await activate(listeners);
        const timer = t.runtime.clock.setTimeout(() => {
          if (pending?.listeners !== listeners) return;
          pending = undefined;
          t.runtime.log(
            `xds: route configurations ${
              [...needed].filter((n) => !t.routes.get(n)).join(", ")
            } did not arrive in time; starting listeners anyway`,
          );
          activate(listeners).catch((err) =>
            t.runtime.log(`xds: listeners failed to start: ${(err as Error).message}`)
          );
        }, WARMING_TIMEOUT_MS);
        pending = { listeners, timer };
      },
    },
    {
      typeUrl: XDS_TYPES.route,
      names: () => {
        const names = new Set(t.listeners.rdsNames());
        if (pending) { for (const l of pending.listeners) for (const n of rdsNamesOf(l)) names.add(n); }
        return [...names].sort();
      },
      async apply(resources) {
        t.routes.apply(decodeAll(RouteConfigurationSchema, resources, t.registry, "route"), "rds", false);
        if (pending) {
          const waiting = pending;
          const needed = waiting.listeners.flatMap(rdsNamesOf);
          if (routesReady(needed)) {
            t.runtime.clock.clearTimeout(waiting.timer);
            pending = undefined;
            await activate(waiting.listeners);
          }
        }
      },
    },
  ];
}

/** RDS names referenced by a listener's HCMs, read from the raw config (before building). */
function rdsNamesOf(listener: Listener): string[] {
  const out: string[] = [];
  const chains = listener.defaultFilterChain
    ? [...listener.filterChains, listener.defaultFilterChain]
    : listener.filterChains;
  for (const chain of chains) {
    for (const f of chain.filters) {
      if (f.configType.case !== "typedConfig") continue;
      const name = hcmRdsName(f.configType.value);
      if (name) out.push(name);
    }
  }
  return out;
}

function hcmRdsName(any: Any): string | undefined {
  if (!anyIs(any, HttpConnectionManagerSchema)) return undefined;
  const spec = anyUnpack(any, HttpConnectionManagerSchema)!.routeSpecifier;
  return spec.case === "rds" ? spec.value.routeConfigName : undefined;
}
