// The xDS pipeline: generate per-proxy resources → snapshot → consistency check → cache, on debounced pushes.
import type { Node } from "../../gen/envoy/config/core/v3/base_pb.ts";
import type { Clock } from "../../proxy/runtime/types.ts";
import type { ProxyIdentity } from "../model/types.ts";
import { createDebouncer, type DebounceBatch } from "./debounce.ts";
import type { PushStatus } from "./push-status.ts";
import {
  buildSnapshot,
  checkConsistency,
  type SnapshotCache,
  type SnapshotResources,
} from "./snapshot-cache.ts";
import type { Snapshot } from "./snapshot.ts";
import type { SnapshotProvider } from "./xds-stream.ts";

export interface XdsPipelineConfig {
  /** Translation for one proxy (pure; may be async). */
  readonly generate: (identity: ProxyIdentity) => SnapshotResources | Promise<SnapshotResources>;
  readonly cache: SnapshotCache;
  readonly clock: Clock;
  readonly status: PushStatus;
  readonly quietMs?: number;
  readonly maxDelayMs?: number;
  readonly onError?: (err: unknown) => void;
  /** Awaited before each push, e.g. until a config reload in progress is done. */
  readonly beforePush?: () => Promise<void>;
  /**
   * What `generate` builds from right now (the control plane's push context), compared by identity: snapshots
   * prepared while a push waits for quiet are published only if it is still the same when the push runs.
   */
  readonly generation?: () => unknown;
}

export interface XdsPipeline {
  /** For the ADS handlers: generates a node's snapshot on its first connect. */
  readonly provider: SnapshotProvider;
  /** Config or endpoints changed: regenerate every connected proxy's snapshot (debounced, see Debouncer.trigger). */
  requestPush(reason: string, options?: { readonly extend?: boolean }): void;
  /**
   * Builds (does not publish) every connected proxy's next snapshot from the current generation, in slices,
   * while a push waits for its quiet period; the push then only publishes those still valid. Stops when the
   * generation changes or a push starts.
   */
  prepare(): Promise<void>;
  /** Runs a pending push now and waits for it (tests, shutdown). */
  flush(): Promise<void>;
  /** A push is waiting for its quiet period or running. */
  busy(): boolean;
  /** Identities of the proxies connected now (one entry per node id). */
  connected(): ProxyIdentity[];
  close(): void;
}

/** How long a push works before it lets the event loop send what it published (see push). */
const PUSH_SLICE_MS = 10;

interface Connected {
  identity: ProxyIdentity;
  streams: number;
}

/** A node's prepared entry once taken, or emptied. */
const NOTHING_PREPARED = Symbol("nothing prepared");

/** A snapshot built ahead of its push, and what it was built from. */
interface Prepared {
  readonly generation: unknown;
  readonly identity: ProxyIdentity;
  readonly previous: Snapshot | undefined;
  readonly snapshot: Snapshot;
}

export function createXdsPipeline(config: XdsPipelineConfig): XdsPipeline {
  const { cache, status, clock } = config;
  const connected = new Map<string, Connected>();

  /**
   * Each node's last publish, kept while the node is connected (a node that is not — an edge worker's fetch —
   * loses its entry once done). Not deleted after every publish: a long-lived Map whose entries come and go at
   * every push rehashes its table again and again, and a table it outgrew still points at the entries it held —
   * one in V8's old generation kept them alive through young-generation GCs, to be promoted and freed only by a
   * full GC (the same for `prepared`, whose entries are emptied, not deleted).
   */
  const lastPublish = new Map<string, Promise<Snapshot | undefined>>();

  /** One publish per node at a time, so a slow generation never overwrites a newer one. */
  function publish(identity: ProxyIdentity): Promise<Snapshot | undefined> {
    const before = lastPublish.get(identity.id) ?? Promise.resolve(undefined);
    const next = before.then(() => generateAndPublish(identity));
    lastPublish.set(identity.id, next);
    // A connected node's entry goes when it disconnects (onProxyDisconnected): no extra promise per push.
    if (!connected.has(identity.id)) forgetWhenSettled(identity.id, next);
    return next;
  }

  /** Drops a node's last publish once it has settled, if the node is not connected then. */
  function forgetWhenSettled(id: string, last: Promise<unknown>) {
    void last.finally(() => {
      if (!connected.has(id) && lastPublish.get(id) === last) lastPublish.delete(id);
    });
  }

  /** Per connected node: the snapshot prepared for the next push, or NOTHING_PREPARED. */
  const prepared = new Map<string, Prepared | typeof NOTHING_PREPARED>();
  /** The preparation running now; replaced (and so stopped) by the next one or by a push. */
  let preparing: object | undefined;

  /** A prepared snapshot for this exact identity, built on the snapshot the node holds, in this generation. */
  function takePrepared(identity: ProxyIdentity, previous: Snapshot | undefined): Snapshot | undefined {
    const ready = prepared.get(identity.id);
    // Another identity for the same node (an edge worker's fetch parses its own) leaves the entry to its owner.
    if (ready === undefined || ready === NOTHING_PREPARED || ready.identity !== identity) return undefined;
    prepared.set(identity.id, NOTHING_PREPARED);
    const current = ready.previous === previous && ready.generation !== undefined &&
      ready.generation === config.generation?.();
    return current ? ready.snapshot : undefined;
  }

  /** Generates and publishes one node's snapshot; an inconsistent or failed one is recorded, not published. */
  async function generateAndPublish(identity: ProxyIdentity): Promise<Snapshot | undefined> {
    const previous = cache.get(identity.id);
    let snapshot: Snapshot;
    try {
      snapshot = takePrepared(identity, previous) ?? buildSnapshot(await config.generate(identity), previous);
    } catch (err) {
      status.snapshotRejected(identity.id, "", [
        `generating config failed: ${(err as Error).message ?? err}`,
      ]);
      config.onError?.(err);
      return previous;
    }
    const problems = checkConsistency(snapshot);
    if (problems.length > 0) {
      status.snapshotRejected(identity.id, snapshot.version, problems);
      return previous;
    }
    status.snapshotPublished(identity.id);
    if (snapshot !== previous) cache.set(identity.id, snapshot);
    return snapshot;
  }

  /**
   * A pause for loops over every proxy. Generating and publishing is a chain of microtasks: without a pause, no
   * response would reach a socket (and no ACK be read) until all proxies were done. Every few ms the loop lets
   * I/O run, so the first proxies apply a change while the control plane works on the others.
   */
  function slicer(): () => Promise<void> {
    let sliceStarted = clock.now();
    return async () => {
      if (clock.now() - sliceStarted < PUSH_SLICE_MS) return;
      await new Promise<void>((resume) => clock.setTimeout(resume, 0));
      sliceStarted = clock.now();
    };
  }

  /**
   * The generation every connected proxy was last pushed (undefined: not known). A push requested while it is
   * still current publishes nothing: e.g. a file event whose re-read found the text already loaded, or the
   * directory poll meeting an edit the watcher had already reported.
   */
  let pushedGeneration: unknown;

  async function push(batch: DebounceBatch): Promise<void> {
    await config.beforePush?.();
    preparing = undefined; // what is prepared stays usable; the rest is generated here
    const generation = config.generation?.();
    if (generation !== undefined && generation === pushedGeneration) return;
    status.changeStarted(batch.firstEventAt);
    const nodes = [...connected.keys()];
    const pause = slicer();
    for (const id of nodes) {
      // The identity now: a node that reconnected with other metadata during the push has published its own
      // snapshot already, which the one it had when the push started must not replace.
      const current = connected.get(id);
      if (current === undefined) continue;
      await publish(current.identity);
      await pause();
    }
    // Recorded only if nothing changed while the push ran (a change then has a push of its own queued).
    pushedGeneration = generation !== undefined && config.generation?.() === generation
      ? generation
      : undefined;
    forgetPrepared(); // what a node that left or changed identity during the push did not take
    status.pushCompleted({
      reasons: batch.reasons,
      startedAt: batch.firstEventAt,
      finishedAt: clock.now(),
      proxies: nodes.length,
    });
  }

  /** Empties every node's prepared entry (keeping the entries: see `lastPublish`). */
  function forgetPrepared() {
    for (const id of prepared.keys()) {
      if (connected.has(id)) prepared.set(id, NOTHING_PREPARED);
      else prepared.delete(id);
    }
  }

  async function prepare(): Promise<void> {
    const generation = config.generation?.();
    if (generation === undefined) return;
    const token = {};
    preparing = token;
    forgetPrepared();
    const pause = slicer();
    for (const { identity } of [...connected.values()]) {
      if (preparing !== token || config.generation?.() !== generation) return;
      const previous = cache.get(identity.id);
      try {
        const snapshot = buildSnapshot(await config.generate(identity), previous);
        // A node that left (or came back as another identity) during a pause gets no entry.
        if (connected.get(identity.id)?.identity === identity) {
          prepared.set(identity.id, { generation, identity, previous, snapshot });
        }
      } catch {
        // Left for the push, which generates again and reports.
      }
      await pause();
    }
    if (preparing === token) preparing = undefined;
  }

  const debouncer = createDebouncer({
    clock,
    run: push,
    ...(config.quietMs !== undefined ? { quietMs: config.quietMs } : {}),
    ...(config.maxDelayMs !== undefined ? { maxDelayMs: config.maxDelayMs } : {}),
    ...(config.onError ? { onError: config.onError } : {}),
  });

  const provider: SnapshotProvider = {
    snapshotFor: (identity: ProxyIdentity, _node: Node) => publish(identity),
    onProxyConnected(identity) {
      const entry = connected.get(identity.id);
      if (entry) {
        entry.streams += 1;
        entry.identity = identity;
      } else connected.set(identity.id, { identity, streams: 1 });
    },
    onProxyDisconnected(identity) {
      const entry = connected.get(identity.id);
      if (!entry) return;
      entry.streams -= 1;
      if (entry.streams === 0) {
        connected.delete(identity.id);
        cache.clear(identity.id);
        prepared.delete(identity.id);
        const last = lastPublish.get(identity.id);
        if (last) forgetWhenSettled(identity.id, last);
      }
    },
  };

  return {
    provider,
    requestPush: (reason, options) => debouncer.trigger(reason, options),
    prepare,
    flush: () => debouncer.flush(),
    busy: () => debouncer.busy(),
    connected: () => [...connected.values()].map((c) => c.identity),
    close: () => {
      preparing = undefined;
      prepared.clear();
      debouncer.close();
    },
  };
}
