// The snapshot cache (go-control-plane style): per-node snapshots, content-hash versions, change watches.
import { type Message, toBinary } from "@bufbuild/protobuf";
import type { Cluster } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import type { ClusterLoadAssignment } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import type { Listener } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { RouteConfiguration } from "../../gen/envoy/config/route/v3/route_pb.ts";
import type { Secret } from "../../gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.ts";
import { hash32 } from "../../proxy/cluster/lb/hash.ts";
import { WeftError } from "../../proxy/errors.ts";
import { resourceTypeOf } from "./resource-types.ts";
import { type Snapshot, TYPE_URLS, type VersionedResource } from "./snapshot.ts";

export { checkConsistency } from "./consistency.ts";

/** What translation produces for one proxy. */
export interface SnapshotResources {
  readonly listeners: readonly Listener[];
  readonly routes: readonly RouteConfiguration[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
  readonly secrets?: readonly Secret[];
}

export type SnapshotWatcher = (snapshot: Snapshot) => void;

export interface SnapshotCache {
  set(nodeId: string, snapshot: Snapshot): void;
  get(nodeId: string): Snapshot | undefined;
  /** Called on every later `set` for the node; returns the unsubscribe function. */
  watch(nodeId: string, watcher: SnapshotWatcher): () => void;
  clear(nodeId: string): void;
  nodeIds(): string[];
}

export function createSnapshotCache(): SnapshotCache {
  const snapshots = new Map<string, Snapshot>();
  const watchers = new Map<string, Set<SnapshotWatcher>>();
  return {
    set(nodeId, snapshot) {
      snapshots.set(nodeId, snapshot);
      for (const watcher of [...(watchers.get(nodeId) ?? [])]) watcher(snapshot);
    },
    get: (nodeId) => snapshots.get(nodeId),
    watch(nodeId, watcher) {
      let set = watchers.get(nodeId);
      if (!set) watchers.set(nodeId, set = new Set());
      set.add(watcher);
      return () => {
        set.delete(watcher);
        if (set.size === 0 && watchers.get(nodeId) === set) watchers.delete(nodeId);
      };
    },
    clear: (nodeId) => void snapshots.delete(nodeId),
    nodeIds: () => [...snapshots.keys()],
  };
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/** A 64-bit content hash (two seeded MurmurHash3 passes) as 16 hex digits. */
export function contentHash(bytes: Uint8Array): string {
  return hex(hash32(bytes, 0)) + hex(hash32(bytes, 0x9747b28c));
}

function nameOf(message: Message): string {
  const m = message as Message & { name?: string; clusterName?: string };
  return m.$typeName === "envoy.config.endpoint.v3.ClusterLoadAssignment"
    ? m.clusterName ?? ""
    : m.name ?? "";
}

/**
 * Builds a snapshot: each resource's version is a hash of its binary encoding (so an unchanged resource
 * keeps its version), the snapshot version a hash of all of them. When nothing changed since `previous`,
 * the previous snapshot is returned as is.
 */
export function buildSnapshot(resources: SnapshotResources, previous?: Snapshot): Snapshot {
  const byType = new Map<string, Map<string, VersionedResource>>();
  for (const url of Object.values(TYPE_URLS)) byType.set(url, new Map());
  const all: readonly Message[] = [
    ...resources.listeners,
    ...resources.routes,
    ...resources.clusters,
    ...resources.endpoints,
    ...(resources.secrets ?? []),
  ];
  for (const message of all) {
    const type = resourceTypeOf(message);
    if (!type) throw new WeftError("internal", `not an xDS resource: ${message.$typeName}`);
    const name = nameOf(message);
    const map = byType.get(type.typeUrl)!;
    if (name === "") throw new WeftError("config", `${type.short}: a resource has no name`);
    if (map.has(name)) throw new WeftError("config", `${type.short}: duplicate resource name "${name}"`);
    const version = contentHash(toBinary(type.schema, message));
    const old = previous?.resources.get(type.typeUrl)?.get(name);
    map.set(name, old?.version === version ? old : { name, version, resource: message });
  }
  const snapshot: Snapshot = { version: versionOf(byType), resources: byType };
  return previous?.version === snapshot.version ? previous : snapshot;
}

const encoder = new TextEncoder();

function versionOf(resources: ReadonlyMap<string, ReadonlyMap<string, VersionedResource>>): string {
  const lines: string[] = [];
  for (const [url, map] of resources) {
    for (const [name, r] of map) lines.push(`${url}\n${name}\n${r.version}`);
  }
  return contentHash(encoder.encode(lines.sort().join("\n")));
}

const typeVersions = new WeakMap<ReadonlyMap<string, VersionedResource>, string>();
const EMPTY: ReadonlyMap<string, VersionedResource> = new Map();

/** SotW version_info of one type: changes only when a resource of that type is added, removed or changed. */
export function typeVersion(snapshot: Snapshot, typeUrl: string): string {
  const map = snapshot.resources.get(typeUrl) ?? EMPTY;
  let version = typeVersions.get(map);
  if (version === undefined) {
    version = versionOf(new Map([[typeUrl, map]]));
    typeVersions.set(map, version);
  }
  return version;
}

/** An empty snapshot (every type present, no resources). */
export function emptySnapshot(): Snapshot {
  return buildSnapshot({ listeners: [], routes: [], clusters: [], endpoints: [] });
}
