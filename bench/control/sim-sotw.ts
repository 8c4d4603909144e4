// A simulated sidecar on a state-of-the-world ADS stream: CDS+LDS wildcard, EDS/RDS by name, ACKs every response.
import { create } from "@bufbuild/protobuf";
import { DiscoveryRequestSchema } from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import type { LeanAdsClient, LeanResponse } from "./lean-ads.ts";
import type { ProxySpec } from "./layout.ts";
import { derived } from "./response-memo.ts";
import { CDS, EDS, LDS, nodeOf, RDS, type SimContext, type SimProxy } from "./sim-common.ts";
import { anyValue, clusterEdsName, listenerRouteNames, loadAssignmentHas, resourceName } from "./wire.ts";

/** What any proxy reads from a SotW response (memoized per response object: see response-memo.ts). */
const readSotw = derived((r: LeanResponse) => {
  let bytes = 0;
  for (const a of r.resources) bytes += a.length;
  /** CDS: the EDS names to ask for; LDS: the RDS names (sorted). */
  const follows = new Set<string>();
  if (r.typeUrl === CDS) {
    for (const a of r.resources) {
      const c = clusterEdsName(anyValue(a));
      if (c.eds !== undefined) follows.add(c.eds);
    }
  } else if (r.typeUrl === LDS) {
    for (const a of r.resources) for (const n of listenerRouteNames(anyValue(a))) follows.add(n);
  }
  return { bytes, follows: [...follows].sort() };
});

interface TypeState {
  /** What the proxy asks for (empty for the wildcard types). */
  names: string[];
  version: string;
  nonce: string;
  /** A response arrived and was ACKed. */
  acked: boolean;
  /** The last response held every requested name (wildcard types: always). */
  complete: boolean;
}

export function startSotwProxy(
  index: number,
  spec: ProxySpec,
  client: LeanAdsClient,
  ctx: SimContext,
): SimProxy {
  const stream = client.openSotw(handle, (err) => ctx.onError(index, err));
  const states = new Map<string, TypeState>();
  for (const t of [CDS, EDS, LDS, RDS]) {
    states.set(t, { names: [], version: "", nonce: "", acked: false, complete: t === CDS || t === LDS });
  }
  let full = false;

  const send = (typeUrl: string, st: TypeState, withNode = false) =>
    stream.send(create(DiscoveryRequestSchema, {
      typeUrl,
      versionInfo: st.version,
      responseNonce: st.nonce,
      resourceNames: st.names,
      ...(withNode ? { node: nodeOf(spec) } : {}),
    }));

  /** A new set of names for EDS or RDS (from the clusters or listeners): re-request with the latest nonce. */
  const request = (typeUrl: string, names: string[]) => {
    const st = states.get(typeUrl)!;
    if (names === st.names || names.join("\n") === st.names.join("\n")) return;
    st.names = names;
    st.complete = names.length === 0;
    send(typeUrl, st);
  };

  function handle(r: LeanResponse): void {
    const st = states.get(r.typeUrl);
    if (!st) return;
    const { stats } = ctx;
    stats.responses += 1;
    stats.resources += r.resources.length;
    const read = readSotw(r);
    stats.resourceBytes += read.bytes;
    st.version = r.versionInfo;
    st.nonce = r.nonce;
    send(r.typeUrl, st); // the ACK (same names, this version and nonce)
    stats.acks += 1;
    st.acked = true;
    if (r.typeUrl === CDS) request(EDS, read.follows);
    else if (r.typeUrl === LDS) request(RDS, read.follows);
    else {
      st.complete = r.resources.length >= st.names.length;
      if (r.typeUrl === EDS) checkWatch(r);
    }
    if (!full && [...states.values()].every((s) => s.complete && (s.acked || s.names.length === 0))) {
      full = true;
      ctx.onFull(index, ctx.now());
    }
  }

  function checkWatch(r: LeanResponse): void {
    const watch = ctx.watch;
    if (!watch || watch.acked.has(index)) return;
    for (const a of r.resources) {
      const value = anyValue(a);
      if (resourceName(value) !== watch.cluster) continue;
      if (loadAssignmentHas(value, watch.address)) {
        watch.acked.set(index, ctx.now());
        watch.onAck();
      }
      return;
    }
  }

  send(CDS, states.get(CDS)!, true);
  send(LDS, states.get(LDS)!);
  return { close: () => stream.close() };
}
