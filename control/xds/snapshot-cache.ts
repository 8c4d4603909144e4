// The snapshot cache (go-control-plane style): per-node snapshots, content-hash versions, change watches.
import type { Snapshot } from "./snapshot.ts";

export { checkConsistency } from "./consistency.ts";
export {
  buildSnapshot,
  contentHash,
  emptySnapshot,
  type SnapshotResources,
  typeVersion,
} from "./snapshot-build.ts";

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
