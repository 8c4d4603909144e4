// All upstream clusters of a proxy by name; static from the bootstrap, replaced as a whole by CDS, endpoints by EDS.
import { equals } from "@bufbuild/protobuf";
import { type Cluster, ClusterSchema } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import type { ClusterLoadAssignment } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import type { Runtime } from "../runtime/types.ts";
import type { StatsStore } from "../stats/stats-store.ts";
import { createCluster, type UpstreamCluster } from "./cluster.ts";
import { WeftError } from "../errors.ts";

export interface ClusterManager {
  get(name: string): UpstreamCluster | undefined;
  all(): IterableIterator<UpstreamCluster>;
  /**
   * Replaces the dynamic clusters with `configs` (CDS state of the world). Every new or changed
   * cluster is built first; if any fails, nothing changes and the error is thrown. Static clusters stay.
   */
  applyDynamic(
    configs: readonly Cluster[],
    field: string,
  ): Promise<{ added: string[]; updated: string[]; removed: string[] }>;
  /** EDS: new endpoints for a cluster (by cluster name or eds service_name). Returns false if no cluster wants them. */
  updateEndpoints(assignment: ClusterLoadAssignment): boolean;
  /** The EDS resource names the dynamic EDS clusters want. */
  edsNames(): string[];
  /** Cluster configs in force (for /config_dump), and the endpoint assignments received by EDS. */
  configs(): { readonly config: Cluster; readonly dynamic: boolean }[];
  assignments(): ClusterLoadAssignment[];
  close(): Promise<void>;
}

interface Entry {
  readonly config: Cluster;
  readonly cluster: UpstreamCluster;
  readonly dynamic: boolean;
}

export async function createClusterManager(
  clusters: readonly Cluster[],
  runtime: Runtime,
  store: StatsStore,
  fieldPrefix = "static_resources.clusters",
): Promise<ClusterManager> {
  const byName = new Map<string, Entry>();
  const endpointsCache = new Map<string, ClusterLoadAssignment>();
  for (const [i, config] of clusters.entries()) {
    if (byName.has(config.name)) {
      throw new WeftError("config", `${fieldPrefix}[${i}].name: duplicate cluster name "${config.name}"`);
    }
    byName.set(config.name, {
      config,
      cluster: await createCluster(config, runtime, store, `${fieldPrefix}[${i}]`),
      dynamic: false,
    });
  }
  const edsName = (c: Cluster) => c.edsClusterConfig?.serviceName || c.name;

  return {
    get: (name) => byName.get(name)?.cluster,
    all: () => [...byName.values()].map((e) => e.cluster)[Symbol.iterator](),
    async applyDynamic(configs, field) {
      const seen = new Set<string>();
      const built = new Map<string, Entry>();
      try {
        for (const [i, config] of configs.entries()) {
          const path = `${field}[${i}]`;
          if (seen.has(config.name)) {
            throw new WeftError("config", `${path}.name: duplicate cluster name "${config.name}"`);
          }
          seen.add(config.name);
          const existing = byName.get(config.name);
          if (existing && !existing.dynamic) {
            throw new WeftError("config", `${path}.name: "${config.name}" is a static cluster`);
          }
          if (existing && equals(ClusterSchema, existing.config, config)) continue;
          const cluster = await createCluster(config, runtime, store, path);
          const cached = endpointsCache.get(edsName(config));
          if (cached && cluster.type === "EDS") cluster.updateEndpoints(cached);
          built.set(config.name, { config, cluster, dynamic: true });
        }
      } catch (err) {
        await Promise.all([...built.values()].map((e) => e.cluster.close()));
        throw err;
      }
      const added: string[] = [], updated: string[] = [], removed: string[] = [];
      const retired: UpstreamCluster[] = [];
      for (const [name, entry] of built) {
        const old = byName.get(name);
        if (old) {
          updated.push(name);
          retired.push(old.cluster);
        } else added.push(name);
        byName.set(name, entry);
      }
      for (const [name, entry] of byName) {
        if (entry.dynamic && !seen.has(name)) {
          removed.push(name);
          retired.push(entry.cluster);
          byName.delete(name);
        }
      }
      // Pools close gracefully: requests already in flight on a retired cluster finish.
      for (const c of retired) c.close().catch(() => {});
      return { added, updated, removed };
    },
    updateEndpoints(assignment) {
      endpointsCache.set(assignment.clusterName, assignment);
      let used = false;
      for (const entry of byName.values()) {
        if (entry.cluster.type === "EDS" && edsName(entry.config) === assignment.clusterName) {
          entry.cluster.updateEndpoints(assignment);
          used = true;
        }
      }
      return used;
    },
    configs: () => [...byName.values()].map((e) => ({ config: e.config, dynamic: e.dynamic })),
    assignments: () => [...endpointsCache.values()],
    edsNames: () =>
      [...byName.values()].filter((e) => e.cluster.type === "EDS" && e.dynamic).map((e) => edsName(e.config)),
    async close() {
      await Promise.all([...byName.values()].map((e) => e.cluster.close()));
    },
  };
}
