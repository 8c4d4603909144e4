// The tcp_proxy network filter: opaque bytes to a (weighted) cluster, connect retries, idle timeout.
import type { TcpProxy } from "../../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.ts";
import type { Connection, Runtime } from "../runtime/types.ts";
import type { ClusterManager } from "../cluster/cluster-manager.ts";
import type { Host } from "../cluster/host.ts";
import { durationMs } from "../duration.ts";
import { declareCounters, type StatsStore } from "../stats/stats-store.ts";
import { WeftError } from "../errors.ts";

const TCP_COUNTERS = [
  "downstream_cx_total",
  "downstream_cx_no_route",
  "upstream_flush_total",
  "idle_timeout",
  "downstream_cx_rx_bytes_total",
  "downstream_cx_tx_bytes_total",
  "upstream_connect_attempts_exceeded",
] as const;

export interface TcpProxyFilter {
  handle(downstream: Connection): Promise<void>;
}

export function createTcpProxy(
  config: TcpProxy,
  runtime: Runtime,
  clusters: ClusterManager,
  store: StatsStore,
  field: string,
): TcpProxyFilter {
  const stats = declareCounters(store, `tcp.${config.statPrefix}.`, TCP_COUNTERS);
  const spec = config.clusterSpecifier;
  let pickCluster: () => string;
  if (spec.case === "cluster") {
    const name = spec.value;
    pickCluster = () => name;
  } else if (spec.case === "weightedClusters") {
    const entries = spec.value.clusters;
    const total = entries.reduce((sum, c) => sum + c.weight, 0);
    if (total <= 0) {
      throw new WeftError("config", `${field}.weighted_clusters: weights must add up to more than 0`);
    }
    pickCluster = () => {
      let draw = runtime.random() * total;
      for (const c of entries) {
        if ((draw -= c.weight) < 0) return c.name;
      }
      return entries[entries.length - 1].name;
    };
  } else {
    throw new WeftError("config", `${field}: tcp_proxy needs cluster or weighted_clusters`);
  }
  const idleMs = durationMs(config.idleTimeout, 3_600_000);
  const maxAttempts = config.maxConnectAttempts ?? 1;

  return {
    async handle(downstream) {
      stats.downstream_cx_total.value++;
      const cluster = clusters.get(pickCluster());
      if (!cluster) {
        stats.downstream_cx_no_route.value++;
        downstream.destroy();
        return;
      }
      let upstream: Connection | undefined;
      const tried = new Set<Host>();
      for (let attempt = 0; attempt < maxAttempts && !upstream; attempt++) {
        const host = cluster.pick({ excluded: tried });
        if (!host) break;
        tried.add(host);
        try {
          upstream = await cluster.connect(host);
          cluster.stats.upstream_cx_total.value++;
        } catch {
          cluster.stats.upstream_cx_connect_fail.value++;
        }
      }
      if (!upstream) {
        stats.upstream_connect_attempts_exceeded.value++;
        downstream.destroy();
        return;
      }
      await splice(
        runtime,
        downstream,
        upstream,
        idleMs,
        () => stats.idle_timeout.value++,
        (n) => stats.downstream_cx_rx_bytes_total.value += n,
        (n) => stats.downstream_cx_tx_bytes_total.value += n,
      );
    },
  };
}

/** Copies bytes both ways with back-pressure until both sides finish; closes both after `idleMs` of silence. */
export async function splice(
  runtime: Runtime,
  a: Connection,
  b: Connection,
  idleMs: number,
  onIdle?: () => void,
  onAtoB?: (bytes: number) => void,
  onBtoA?: (bytes: number) => void,
): Promise<void> {
  let lastActivity = runtime.clock.now();
  let timer: ReturnType<Runtime["clock"]["setTimeout"]> | undefined;
  const arm = () => {
    timer = runtime.clock.setTimeout(() => {
      const idleFor = runtime.clock.now() - lastActivity;
      if (idleFor >= idleMs) {
        onIdle?.();
        a.destroy();
        b.destroy();
      } else arm();
    }, Math.max(1, idleMs - (runtime.clock.now() - lastActivity)));
  };
  if (idleMs > 0) arm();
  const pump = async (from: Connection, to: Connection, count?: (n: number) => void) => {
    try {
      for await (const chunk of from.readable) {
        lastActivity = runtime.clock.now();
        count?.(chunk.length);
        await to.write(chunk);
      }
      to.end();
    } catch {
      to.destroy();
      from.destroy();
    }
  };
  await Promise.all([pump(a, b, onAtoB), pump(b, a, onBtoA)]);
  if (timer !== undefined) runtime.clock.clearTimeout(timer);
}
