// A simulated sidecar on a delta ADS stream: CDS+LDS wildcard, EDS/RDS subscribed by name as clusters and listeners arrive.
import { create } from "@bufbuild/protobuf";
import { DeltaDiscoveryRequestSchema } from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import type { LeanAdsClient, LeanDeltaResponse } from "./lean-ads.ts";
import type { ProxySpec } from "./layout.ts";
import { derived } from "./response-memo.ts";
import { CowMap, CowSet } from "./shared-state.ts";
import { CDS, EDS, LDS, nodeOf, RDS, type SimContext, type SimProxy } from "./sim-common.ts";
import {
  clusterEdsName,
  type DeltaResource,
  deltaResource,
  deltaValue,
  listenerRouteNames,
  loadAssignmentHas,
} from "./wire.ts";

/** What any proxy reads from a delta response (memoized per response object: see response-memo.ts). */
const readDelta = derived((r: LeanDeltaResponse) => {
  const resources = r.resources.map(deltaResource);
  let bytes = 0;
  for (const res of resources) bytes += res.valueEnd - res.valueStart;
  const none: readonly string[] = [];
  /** Cluster → its EDS name, listener → its RDS names: what the EDS and RDS subscriptions follow. */
  let owned: (readonly [owner: string, names: readonly string[]])[] = [];
  if (r.typeUrl === CDS) {
    owned = resources.map((res) => {
      const eds = clusterEdsName(deltaValue(res)).eds;
      return [res.name, eds === undefined ? none : [eds]] as const;
    });
  } else if (r.typeUrl === LDS) {
    owned = resources.map((res) => [res.name, listenerRouteNames(deltaValue(res))] as const);
  }
  for (const name of r.removedResources) owned.push([name, none]);
  return { resources, bytes, owned, names: new Set(resources.map((res) => res.name)) };
});

type Owners = readonly (readonly [owner: string, names: readonly string[]])[];

interface NameSet {
  readonly size: number;
  has(name: string): boolean;
  add(name: string): void;
  delete(name: string): void;
}
interface NameMap<V> {
  readonly size: number;
  get(key: string): V | undefined;
  has(key: string): boolean;
  set(key: string, value: V): void;
  delete(key: string): void;
}

/**
 * Points each owner (cluster or listener) at its new names (none: it is gone), updates what is subscribed (and
 * held: an unsubscribed name is let go of) and returns the (un)subscribes that causes — work in proportion to
 * the response, not to everything subscribed so far.
 */
function applyOwners(
  count: NameMap<number>,
  by: NameMap<readonly string[]>,
  subscribed: NameSet,
  have: NameSet,
  changes: Owners,
): { add: string[]; drop: string[] } {
  let add: string[] = [];
  let drop: string[] = [];
  for (const [owner, names] of changes) {
    for (const n of names) {
      const c = count.get(n) ?? 0;
      count.set(n, c + 1);
      if (c === 0) add.push(n);
    }
    for (const n of by.get(owner) ?? []) {
      const c = count.get(n)! - 1;
      if (c > 0) count.set(n, c);
      else {
        count.delete(n);
        drop.push(n);
      }
    }
    if (names.length === 0) by.delete(owner);
    else by.set(owner, names);
  }
  // A name one owner let go of and another took up in the same response stays as it was.
  add = add.filter((n) => count.has(n) && !subscribed.has(n));
  drop = drop.filter((n) => !count.has(n) && subscribed.has(n));
  for (const n of add) subscribed.add(n);
  for (const n of drop) {
    subscribed.delete(n);
    have.delete(n);
  }
  return { add, drop };
}

/** What a proxy that follows nothing yet reaches from these owners: one state, shared (shared-state.ts). */
const freshFollow = derived((owners: Owners) => {
  const count = new Map<string, number>();
  const by = new Map<string, readonly string[]>();
  const subscribed = new Set<string>();
  const { add } = applyOwners(count, by, subscribed, new Set(), owners);
  return { count, by, subscribed, add };
});

interface TypeState {
  readonly subscribed: CowSet;
  /** Names held (versions are the control plane's to track: the simulator never sends them back). */
  readonly have: CowSet;
  answered: boolean;
}

export function startDeltaProxy(
  index: number,
  spec: ProxySpec,
  client: LeanAdsClient,
  ctx: SimContext,
): SimProxy {
  const stream = client.openDelta(handle, (err) => ctx.onError(index, err));
  const states = new Map<string, TypeState>();
  for (const t of [CDS, EDS, LDS, RDS]) {
    states.set(t, { subscribed: new CowSet(), have: new CowSet(), answered: false });
  }
  /** Cluster → its EDS name; listener → its RDS names (what EDS and RDS subscriptions derive from). */
  const edsOf = new CowMap<readonly string[]>();
  const rdsOf = new CowMap<readonly string[]>();
  /** How many clusters (listeners) refer to each subscribed EDS (RDS) name. */
  const refs = new Map<string, CowMap<number>>([[EDS, new CowMap()], [RDS, new CowMap()]]);
  let full = false;

  const send = (init: Parameters<typeof create<typeof DeltaDiscoveryRequestSchema>>[1]) =>
    stream.send(create(DeltaDiscoveryRequestSchema, init));

  /** Follows a CDS (LDS) response's owners and sends the EDS (RDS) (un)subscribes that causes. */
  const follow = (typeUrl: string, by: CowMap<readonly string[]>, changes: Owners) => {
    const count = refs.get(typeUrl)!;
    const st = states.get(typeUrl)!;
    if (count.size === 0 && by.size === 0 && st.subscribed.size === 0 && st.have.size === 0) {
      const fresh = freshFollow(changes);
      count.adopt(fresh.count);
      by.adopt(fresh.by);
      st.subscribed.adopt(fresh.subscribed);
      if (fresh.add.length > 0) {
        send({ typeUrl, resourceNamesSubscribe: fresh.add, resourceNamesUnsubscribe: [] });
      }
      return;
    }
    const { add, drop } = applyOwners(count, by, st.subscribed, st.have, changes);
    if (add.length > 0 || drop.length > 0) {
      send({ typeUrl, resourceNamesSubscribe: add, resourceNamesUnsubscribe: drop });
    }
  };
  function handle(r: LeanDeltaResponse): void {
    const st = states.get(r.typeUrl);
    if (!st) return;
    const { stats } = ctx;
    stats.responses += 1;
    stats.resources += r.resources.length;
    st.answered = true;
    const { resources, bytes, owned, names } = readDelta(r);
    stats.resourceBytes += bytes;
    if (st.have.size === 0) st.have.adopt(names);
    else for (const res of resources) st.have.add(res.name);
    for (const name of r.removedResources) st.have.delete(name);
    send({ typeUrl: r.typeUrl, responseNonce: r.nonce }); // the ACK
    stats.acks += 1;
    if (r.typeUrl === CDS) follow(EDS, edsOf, owned);
    else if (r.typeUrl === LDS) follow(RDS, rdsOf, owned);
    else if (r.typeUrl === EDS) checkWatch(resources);
    if (!full && isFull()) {
      full = true;
      ctx.onFull(index, ctx.now());
    }
  }

  function isFull(): boolean {
    const cds = states.get(CDS)!;
    const lds = states.get(LDS)!;
    if (!cds.answered || !lds.answered) return false;
    for (const t of [EDS, RDS]) {
      const st = states.get(t)!;
      if (st.have.size < st.subscribed.size) return false; // cheap first: most responses end here
      for (const n of st.subscribed) if (!st.have.has(n)) return false;
    }
    return true;
  }

  function checkWatch(resources: readonly DeltaResource[]): void {
    const watch = ctx.watch;
    if (!watch || watch.acked.has(index)) return;
    const hit = resources.find((res) => res.name === watch.cluster);
    if (hit && loadAssignmentHas(deltaValue(hit), watch.address)) {
      watch.acked.set(index, ctx.now());
      watch.onAck();
    }
  }

  send({ node: nodeOf(spec), typeUrl: CDS });
  send({ typeUrl: LDS });
  return { close: () => stream.close() };
}
