// A simulated sidecar on a delta ADS stream: CDS+LDS wildcard, EDS/RDS subscribed by name as clusters and listeners arrive.
import { create } from "@bufbuild/protobuf";
import { DeltaDiscoveryRequestSchema } from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import type { LeanAdsClient, LeanDeltaResponse } from "./lean-ads.ts";
import type { ProxySpec } from "./layout.ts";
import { derived } from "./response-memo.ts";
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
  return { resources, bytes, owned };
});

interface TypeState {
  readonly subscribed: Set<string>;
  /** Names held (versions are the control plane's to track: the simulator never sends them back). */
  readonly have: Set<string>;
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
    states.set(t, { subscribed: new Set(), have: new Set(), answered: false });
  }
  /** Cluster → its EDS name; listener → its RDS names (what EDS and RDS subscriptions derive from). */
  const edsOf = new Map<string, readonly string[]>();
  const rdsOf = new Map<string, readonly string[]>();
  /** How many clusters (listeners) refer to each subscribed EDS (RDS) name. */
  const refs = new Map<string, Map<string, number>>([[EDS, new Map()], [RDS, new Map()]]);
  let full = false;

  const send = (init: Parameters<typeof create<typeof DeltaDiscoveryRequestSchema>>[1]) =>
    stream.send(create(DeltaDiscoveryRequestSchema, init));

  /**
   * Points each owner (cluster or listener) at its new names (none: it is gone) and sends one request with the
   * (un)subscribes that causes — work in proportion to the response, not to everything subscribed so far.
   */
  const follow = (
    typeUrl: string,
    by: Map<string, readonly string[]>,
    changes: Iterable<readonly [owner: string, names: readonly string[]]>,
  ) => {
    const count = refs.get(typeUrl)!;
    const st = states.get(typeUrl)!;
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
    add = add.filter((n) => count.has(n) && !st.subscribed.has(n));
    drop = drop.filter((n) => !count.has(n) && st.subscribed.has(n));
    if (add.length === 0 && drop.length === 0) return;
    for (const n of add) st.subscribed.add(n);
    for (const n of drop) {
      st.subscribed.delete(n);
      st.have.delete(n);
    }
    send({ typeUrl, resourceNamesSubscribe: add, resourceNamesUnsubscribe: drop });
  };
  function handle(r: LeanDeltaResponse): void {
    const st = states.get(r.typeUrl);
    if (!st) return;
    const { stats } = ctx;
    stats.responses += 1;
    stats.resources += r.resources.length;
    st.answered = true;
    const { resources, bytes, owned } = readDelta(r);
    stats.resourceBytes += bytes;
    for (const res of resources) st.have.add(res.name);
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
