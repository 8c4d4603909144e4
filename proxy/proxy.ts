// createProxy: builds clusters and listeners from an Envoy bootstrap on a given runtime, runs them, follows ADS.
import type { Transport } from "@connectrpc/connect";
import type { Bootstrap } from "../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import type { Cluster } from "../gen/envoy/config/cluster/v3/cluster_pb.ts";
import type { ClusterLoadAssignment } from "../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import type { Listener } from "../gen/envoy/config/listener/v3/listener_pb.ts";
import type { RouteConfiguration } from "../gen/envoy/config/route/v3/route_pb.ts";
import type { Runtime } from "./runtime/types.ts";
import type { HttpHandler } from "./http/types.ts";
import { type ClusterManager, createClusterManager } from "./cluster/cluster-manager.ts";
import { createStatsStore, type StatsStore } from "./stats/stats-store.ts";
import type { RunningListener } from "./listener/listener.ts";
import { createListenerManager } from "./listener/listener-manager.ts";
import { createRouteStore } from "./http/route-store.ts";
import { createConfigRegistry } from "./config/registry.ts";
import type { AdsClient, AdsEvent, XdsTypeHandler } from "./xds/ads-client.ts";
import { createXdsHandlers } from "./xds/xds-handlers.ts";
import { adsTarget } from "./xds/ads-target.ts";

export interface ProxyOptions {
  readonly runtime: Runtime;
  readonly bootstrap: Bootstrap;
  /** Print an access-log line per request (Envoy's default format, with response flags). */
  readonly accessLog?: boolean;
  /** Makes the Connect transport to the ADS server (required when the bootstrap has dynamic_resources). */
  readonly xdsTransport?: (target: { host: string; port: number }) => Transport;
  readonly onXdsEvent?: (event: AdsEvent) => void;
}

export interface ProxyConfigDump {
  readonly listeners: readonly Listener[];
  readonly clusters: readonly { readonly config: Cluster; readonly dynamic: boolean }[];
  readonly routes: readonly RouteConfiguration[];
  readonly endpoints: readonly ClusterLoadAssignment[];
  /** Last ACKed version per xDS type URL. */
  readonly versions: ReadonlyMap<string, string>;
}

export interface Proxy {
  readonly bootstrap: Bootstrap;
  readonly stats: StatsStore;
  readonly clusters: ClusterManager;
  /** Listeners running now (static and from LDS). */
  readonly listeners: readonly RunningListener[];
  readonly startedAt: number;
  /** The HTTP handler of a single-chain HTTP listener (by name, else the first): edge adapters call it per request. */
  httpHandler(listenerName?: string): HttpHandler | undefined;
  /** Every resource in force, static and from xDS (the admin /config_dump). */
  configDump(): ProxyConfigDump;
  /** The ADS client, when the bootstrap has dynamic_resources. */
  readonly xds?: AdsClient;
  /**
   * The CDS, EDS, LDS and RDS handlers (in that order) ADS applies responses with; edge proxies that pull
   * config instead of holding a stream apply what they fetched through the same handlers.
   */
  readonly xdsHandlers: readonly XdsTypeHandler[];
  /** Stop accepting, let in-flight requests finish (up to `timeoutMs`), then close everything. */
  drain(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function createProxy(options: ProxyOptions): Promise<Proxy> {
  const { runtime, bootstrap } = options;
  const stats = createStatsStore();
  const statics = bootstrap.staticResources;
  const clusters = await createClusterManager(statics?.clusters ?? [], runtime, stats);
  const routeStore = createRouteStore();
  const listeners = createListenerManager({
    runtime,
    clusters,
    stats,
    accessLog: options.accessLog ?? false,
    routeStore,
  });
  try {
    await listeners.addStatic(statics?.listeners ?? [], "static_resources.listeners");
  } catch (err) {
    await listeners.stopAccepting();
    await clusters.close();
    throw err;
  }
  const xdsHandlers = createXdsHandlers({
    runtime,
    registry: createConfigRegistry(),
    clusters,
    listeners,
    routes: routeStore,
  });
  let xds: AdsClient | undefined;
  if (bootstrap.dynamicResources?.adsConfig) {
    const target = adsTarget(bootstrap, clusters);
    if (!options.xdsTransport) {
      throw new Error("dynamic_resources needs an xdsTransport from the runtime adapter");
    }
    // Loaded only when there is a control plane to follow: a static sidecar does not carry the gRPC client.
    const { startAdsClient } = await import("./xds/ads-client.ts");
    xds = startAdsClient({
      runtime,
      transport: options.xdsTransport(target),
      node: bootstrap.node!,
      handlers: xdsHandlers,
      onEvent: options.onXdsEvent,
    });
  }
  return {
    bootstrap,
    stats,
    clusters,
    get listeners() {
      return listeners.all();
    },
    startedAt: Date.now(),
    xds,
    xdsHandlers,
    configDump: () => ({
      listeners: listeners.all().map((l) => l.config),
      clusters: clusters.configs(),
      routes: routeStore.configs(),
      endpoints: clusters.assignments(),
      versions: xds?.versions ?? new Map(),
    }),
    httpHandler(name) {
      const all = listeners.all();
      return (name === undefined ? all.find((l) => l.httpHandler) : all.find((l) => l.name === name))
        ?.httpHandler;
    },
    async drain(timeoutMs) {
      xds?.close();
      await listeners.stopAccepting();
      listeners.drain();
      const deadline = runtime.clock.now() + timeoutMs;
      while (listeners.all().some((l) => l.activeConnections > 0) && runtime.clock.now() < deadline) {
        await new Promise<void>((r) => runtime.clock.setTimeout(r, 50));
      }
      await clusters.close();
    },
    async close() {
      xds?.close();
      await listeners.stopAccepting();
      await clusters.close();
    },
  };
}
