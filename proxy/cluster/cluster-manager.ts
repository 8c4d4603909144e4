// All upstream clusters of a proxy by name, built from Cluster resources.
import type { Cluster } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import type { Runtime } from "../runtime/types.ts";
import type { StatsStore } from "../stats/stats-store.ts";
import { createCluster, type UpstreamCluster } from "./cluster.ts";
import { WeftError } from "../errors.ts";

export interface ClusterManager {
  get(name: string): UpstreamCluster | undefined;
  all(): IterableIterator<UpstreamCluster>;
  close(): Promise<void>;
}

export async function createClusterManager(
  clusters: readonly Cluster[],
  runtime: Runtime,
  store: StatsStore,
  fieldPrefix = "static_resources.clusters",
): Promise<ClusterManager> {
  const byName = new Map<string, UpstreamCluster>();
  for (const [i, config] of clusters.entries()) {
    if (byName.has(config.name)) {
      throw new WeftError("config", `${fieldPrefix}[${i}].name: duplicate cluster name "${config.name}"`);
    }
    byName.set(config.name, await createCluster(config, runtime, store, `${fieldPrefix}[${i}]`));
  }
  return {
    get: (name) => byName.get(name),
    all: () => byName.values(),
    close: async () => {
      await Promise.all([...byName.values()].map((c) => c.close()));
    },
  };
}
