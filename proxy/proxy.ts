// createProxy: builds clusters and listeners from an Envoy bootstrap on a given runtime, and runs them.
import type { Bootstrap } from "../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import type { Listener } from "../gen/envoy/config/listener/v3/listener_pb.ts";
import type { FilterChain } from "../gen/envoy/config/listener/v3/listener_components_pb.ts";
import type { Runtime } from "./runtime/types.ts";
import { type ClusterManager, createClusterManager } from "./cluster/cluster-manager.ts";
import { createStatsStore, type StatsStore } from "./stats/stats-store.ts";
import { type RunningListener, startListener } from "./listener/listener.ts";
import { createNetworkChain, type NetworkChain } from "./listener/network-chain.ts";
import { NETWORK_FILTERS, type NetworkFilterContext } from "./network/filters.ts";
import { compileDownstreamTls } from "./tls/tls-context.ts";
import { WeftError } from "./errors.ts";

export interface ProxyOptions {
  readonly runtime: Runtime;
  readonly bootstrap: Bootstrap;
  /** Print an access-log line per request (Envoy's default format, with response flags). */
  readonly accessLog?: boolean;
}

export interface Proxy {
  readonly bootstrap: Bootstrap;
  readonly stats: StatsStore;
  readonly clusters: ClusterManager;
  readonly listeners: readonly RunningListener[];
  readonly startedAt: number;
  /** Stop accepting, let in-flight requests finish (up to `timeoutMs`), then close everything. */
  drain(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function createProxy(options: ProxyOptions): Promise<Proxy> {
  const { runtime, bootstrap } = options;
  const stats = createStatsStore();
  const statics = bootstrap.staticResources;
  const clusters = await createClusterManager(statics?.clusters ?? [], runtime, stats);
  const ctx: NetworkFilterContext = { runtime, clusters, stats, accessLog: options.accessLog ?? false };
  const listeners: RunningListener[] = [];
  try {
    for (const [i, listener] of (statics?.listeners ?? []).entries()) {
      listeners.push(await buildListener(listener, ctx, `static_resources.listeners[${i}]`));
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.stopAccepting()));
    await clusters.close();
    throw err;
  }
  const stopAll = () => Promise.all(listeners.map((l) => l.stopAccepting().catch(() => {})));
  return {
    bootstrap,
    stats,
    clusters,
    listeners,
    startedAt: Date.now(),
    async drain(timeoutMs) {
      await Promise.race([
        (async () => {
          const stopped = stopAll();
          for (const l of listeners) l.drain();
          await stopped;
          const deadline = runtime.clock.now() + timeoutMs;
          while (listeners.some((l) => l.activeConnections > 0) && runtime.clock.now() < deadline) {
            await new Promise((r) => runtime.clock.setTimeout(r as () => void, 50));
          }
        })(),
        new Promise((r) => runtime.clock.setTimeout(r as () => void, timeoutMs)),
      ]);
      await clusters.close();
    },
    async close() {
      await stopAll();
      await clusters.close();
    },
  };
}

async function buildListener(
  config: Listener,
  ctx: NetworkFilterContext,
  field: string,
): Promise<RunningListener> {
  const chains = await Promise.all(
    config.filterChains.map((c, i) => buildChain(c, ctx, `${field}.filter_chains[${i}]`)),
  );
  const defaultChain = config.defaultFilterChain
    ? await buildChain(config.defaultFilterChain, ctx, `${field}.default_filter_chain`)
    : undefined;
  return await startListener(config, chains, defaultChain, ctx, field);
}

async function buildChain(
  chain: FilterChain,
  ctx: NetworkFilterContext,
  field: string,
): Promise<NetworkChain> {
  if (chain.filters.length !== 1) {
    throw new WeftError(
      "config",
      `${field}.filters: exactly one terminal network filter (http_connection_manager or tcp_proxy) is supported`,
    );
  }
  const filter = chain.filters[0];
  const typed = filter.configType.case === "typedConfig" ? filter.configType.value : undefined;
  if (!typed) throw new WeftError("config", `${field}.filters[0].typed_config: required`);
  const factory = NETWORK_FILTERS.find((f) => f.matches(typed));
  if (!factory) {
    throw new WeftError(
      "config",
      `${field}.filters[0]: network filter ${typed.typeUrl} is not supported (supported: ${
        NETWORK_FILTERS.map((f) => f.name).join(", ")
      })`,
    );
  }
  const ts = chain.transportSocket?.configType;
  const tls = ts?.case === "typedConfig"
    ? await compileDownstreamTls(ts.value, ctx.runtime.readTextFile, `${field}.transport_socket`)
    : undefined;
  return createNetworkChain(ctx.runtime, tls, factory.create(typed, ctx, `${field}.filters[0]`));
}
