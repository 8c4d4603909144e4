// The EdgeConfigService: whole-snapshot Fetch and Watch for proxies that pull config (edge workers) instead of ADS.
import { create } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import type { Node } from "../../gen/envoy/config/core/v3/base_pb.ts";
import {
  type EdgeConfig,
  EdgeConfigSchema,
  EdgeConfigService,
  type FetchRequest,
} from "../../gen/weft/edge/v1/edge_pb.ts";
import type { ProxyIdentity } from "../model/types.ts";
import { parseProxyIdentity } from "../xds/node-identity.ts";
import { packResource, RESOURCE_TYPES } from "../xds/resource-types.ts";
import type { SnapshotCache } from "../xds/snapshot-cache.ts";
import type { Snapshot } from "../xds/snapshot.ts";
import type { SnapshotProvider } from "../xds/xds-stream.ts";

export interface EdgeConfigServiceConfig {
  /** Watched per node id: a Watch stream sends each new snapshot version. */
  readonly cache: SnapshotCache;
  /** The same provider the ADS handlers use (the pipeline generates on demand). */
  readonly provider: SnapshotProvider;
}

/** Every resource of a snapshot as Any, in push order (clusters, endpoints, listeners, routes, secrets). */
export function snapshotResources(snapshot: Snapshot): Any[] {
  const out: Any[] = [];
  for (const type of RESOURCE_TYPES) {
    const byName = snapshot.resources.get(type.typeUrl);
    if (!byName) continue;
    for (const name of [...byName.keys()].sort()) out.push(packResource(type, byName.get(name)!));
  }
  return out;
}

/** The answer for a proxy holding `knownVersion`: not_modified without resources when nothing changed. */
export function edgeConfigOf(snapshot: Snapshot, knownVersion: string): EdgeConfig {
  if (snapshot.version === knownVersion) {
    return create(EdgeConfigSchema, { version: snapshot.version, notModified: true });
  }
  return create(EdgeConfigSchema, { version: snapshot.version, resources: snapshotResources(snapshot) });
}

function nodeOf(req: FetchRequest): { node: Node; identity: ProxyIdentity } {
  if (!req.node || req.node.id === "") {
    throw new ConnectError("the request must carry the proxy's node (with an id)", Code.InvalidArgument);
  }
  return { node: req.node, identity: parseProxyIdentity(req.node) };
}

function unavailable(identity: ProxyIdentity): ConnectError {
  return new ConnectError(`no configuration can be published for ${identity.id} yet`, Code.Unavailable);
}

/** Waits for the next snapshot handed to `push`, or resolves undefined once `signal` aborts. */
function createSnapshotQueue(signal: AbortSignal) {
  const items: Snapshot[] = [];
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  signal.addEventListener("abort", poke, { once: true });
  return {
    push(snapshot: Snapshot) {
      items.push(snapshot);
      poke();
    },
    async next(): Promise<Snapshot | undefined> {
      while (items.length === 0 && !signal.aborted) await new Promise<void>((resolve) => wake = resolve);
      return signal.aborted ? undefined : items.shift();
    },
    dispose: () => signal.removeEventListener("abort", poke),
  };
}

export function createEdgeConfigService(
  config: EdgeConfigServiceConfig,
): ServiceImpl<typeof EdgeConfigService> {
  const { cache, provider } = config;
  return {
    async fetch(req) {
      const { node, identity } = nodeOf(req);
      const snapshot = (await provider.snapshotFor(identity, node)) ?? cache.get(identity.id);
      if (!snapshot) throw unavailable(identity);
      return edgeConfigOf(snapshot, req.knownVersion);
    },
    async *watch(req, context) {
      const { node, identity } = nodeOf(req);
      const queue = createSnapshotQueue(context.signal);
      provider.onProxyConnected?.(identity, node);
      const unwatch = cache.watch(identity.id, (snapshot) => queue.push(snapshot));
      try {
        let known = req.knownVersion;
        const first = (await provider.snapshotFor(identity, node)) ?? cache.get(identity.id);
        if (first) {
          if (first.version !== known) yield edgeConfigOf(first, known);
          known = first.version;
        }
        for (;;) {
          const next = await queue.next();
          if (!next) return;
          if (next.version === known) continue;
          yield edgeConfigOf(next, known);
          known = next.version;
        }
      } finally {
        unwatch();
        queue.dispose();
        provider.onProxyDisconnected?.(identity);
      }
    },
  };
}

/** Registers the service on a router: `startControlServer({ routes: edgeConfigRoutes(config) })`. */
export function edgeConfigRoutes(config: EdgeConfigServiceConfig): (router: ConnectRouter) => void {
  return (router) => void router.service(EdgeConfigService, createEdgeConfigService(config));
}
