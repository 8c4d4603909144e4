// A simulated sidecar on a delta ADS stream: CDS+LDS wildcard, EDS/RDS subscribed by name as clusters and listeners arrive.
import { create } from "@bufbuild/protobuf";
import {
  type DeltaDiscoveryRequest,
  DeltaDiscoveryRequestSchema,
} from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import type { LeanAdsClient, LeanDeltaResponse } from "./lean-ads.ts";
import type { ProxySpec } from "./layout.ts";
import { CDS, createPushable, EDS, LDS, nodeOf, RDS, type SimContext, type SimProxy } from "./sim-common.ts";
import {
  clusterEdsName,
  type DeltaResource,
  deltaResource,
  deltaValue,
  listenerRouteNames,
  loadAssignmentHas,
} from "./wire.ts";

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
  const requests = createPushable<DeltaDiscoveryRequest>();
  const abort = new AbortController();
  const states = new Map<string, TypeState>();
  for (const t of [CDS, EDS, LDS, RDS]) {
    states.set(t, { subscribed: new Set(), have: new Set(), answered: false });
  }
  /** Cluster → its EDS name; listener → its RDS names (what EDS and RDS subscriptions derive from). */
  const edsOf = new Map<string, string>();
  const rdsOf = new Map<string, string[]>();
  let full = false;

  const send = (init: Parameters<typeof create<typeof DeltaDiscoveryRequestSchema>>[1]) =>
    requests.push(create(DeltaDiscoveryRequestSchema, init));

  /** Brings an EDS or RDS subscription to `wanted` with one request of (un)subscribes. */
  const subscribe = (typeUrl: string, wanted: ReadonlySet<string>) => {
    const st = states.get(typeUrl)!;
    const add = [...wanted].filter((n) => !st.subscribed.has(n));
    const drop = [...st.subscribed].filter((n) => !wanted.has(n));
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
    const resources = r.resources.map(deltaResource);
    for (const res of resources) {
      stats.resourceBytes += res.valueEnd - res.valueStart;
      st.have.add(res.name);
    }
    for (const name of r.removedResources) st.have.delete(name);
    send({ typeUrl: r.typeUrl, responseNonce: r.nonce }); // the ACK
    stats.acks += 1;
    if (r.typeUrl === CDS) {
      for (const res of resources) {
        const eds = clusterEdsName(deltaValue(res)).eds;
        if (eds === undefined) edsOf.delete(res.name);
        else edsOf.set(res.name, eds);
      }
      for (const name of r.removedResources) edsOf.delete(name);
      subscribe(EDS, new Set(edsOf.values()));
    } else if (r.typeUrl === LDS) {
      for (const res of resources) rdsOf.set(res.name, listenerRouteNames(deltaValue(res)));
      for (const name of r.removedResources) rdsOf.delete(name);
      subscribe(RDS, new Set([...rdsOf.values()].flat()));
    } else if (r.typeUrl === EDS) checkWatch(resources);
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
  void (async () => {
    try {
      for await (const r of client.deltaAggregatedResources(requests, { signal: abort.signal })) handle(r);
    } catch (err) {
      if (!abort.signal.aborted) ctx.onError(index, err);
    }
  })();
  return {
    close() {
      requests.end();
      abort.abort();
    },
  };
}
