// Incremental (delta) ADS: per type, the subscription and what the proxy holds; send only what changed.
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  DeltaDiscoveryResponseSchema,
  ResourceSchema,
} from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import { isBinaryCodec } from "./encoded-resources.ts";
import { deltaPiecesFor } from "./encoded-blocks.ts";
import { PIECES, SPLICED_PIECES } from "./response-pieces.ts";
import { RESPONSE_SPLICER, type ResponseSplicer } from "./response-splice.ts";
import { REQUEST_NAMES, type RequestNames } from "./request-names.ts";
import { patchedNames, positionsOf, valuesOf } from "./map-facts.ts";
import { packResource, type ResourceType, resourceType } from "./resource-types.ts";
import type { VersionedResource } from "./snapshot.ts";
import {
  canonicalNames,
  counter,
  respondToSnapshot,
  runXdsStream,
  type StreamContext,
  type StreamProtocol,
  type XdsServerConfig,
} from "./xds-stream.ts";

interface DeltaTypeState {
  wildcard: boolean;
  /** Subscribed names: a set shared with every stream that subscribed the same names in the same steps. */
  names: ReadonlySet<string>;
  /** Name → version the proxy said it holds (initial_resource_versions), until the first response. */
  known?: Map<string, string>;
  /**
   * After a response: the proxy holds exactly this map's versions for the names in scope then (a shared map,
   * not a per-stream copy of a thousand versions). Names subscribed since then are in `missing`.
   */
  held?: ReadonlyMap<string, VersionedResource>;
  /** Names subscribed since the last response that the snapshot lacks: reported once as removed. */
  readonly missing: Set<string>;
  /** Whether anything was sent yet (a wildcard subscription always gets a first, possibly empty, answer). */
  answered: boolean;
  lastNonce?: string;
  /** The nonces of the pieces of the last response. */
  burst?: Set<string>;
  lastVersion?: string;
  /** The resource map last compared with (snapshots share unchanged maps); `held` once answered. */
  scanned?: ReadonlyMap<string, VersionedResource>;
}

const EMPTY: ReadonlyMap<string, VersionedResource> = new Map();

/** The version of `name` the proxy holds, if any (the name is in scope). */
function heldVersion(state: DeltaTypeState, name: string): string | undefined {
  if (state.known !== undefined) return state.known.get(name);
  if (state.held === undefined || state.missing.has(name)) return undefined;
  return state.held.get(name)?.version;
}

/** Names the proxy holds that are in scope. */
function* heldNames(state: DeltaTypeState, inScope: (name: string) => boolean): Iterable<string> {
  const names = state.known ?? state.held ?? EMPTY;
  for (const name of names.keys()) if (inScope(name) && !state.missing.has(name)) yield name;
}

/** Sets reached from a set by subscribing a list of names (keyed by the list), see `subscribe`. */
const steps = new WeakMap<ReadonlySet<string>, Map<string, ReadonlySet<string>>>();
/** Different steps remembered per set: a few proxy classes subscribe from the same set. */
const STEPS_PER_SET = 8;
const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * `from` plus `added`, as a set shared by every stream that takes the same step from the same set. Proxies of a
 * class subscribe to the same EDS names in the same order as clusters arrive; 500 proxies each holding its own
 * 1,200-name set kept 20 MB of hash tables live (and in every full GC's marking).
 */
function subscribe(from: ReadonlySet<string>, added: readonly string[]): ReadonlySet<string> {
  let next = steps.get(from);
  if (next === undefined) steps.set(from, next = new Map());
  const key = added.join("\u0000");
  let set = next.get(key);
  if (set === undefined) {
    const grown = new Set(from);
    for (const name of added) grown.add(name);
    if (next.size >= STEPS_PER_SET) next.delete(next.keys().next().value!);
    next.set(key, set = grown);
  }
  return set;
}

function applySubscription(
  state: DeltaTypeState,
  request: DeltaDiscoveryRequest,
  current: ReadonlyMap<string, VersionedResource>,
): void {
  if (request.resourceNamesSubscribe.length > 0 || request.resourceNamesUnsubscribe.length > 0) {
    state.scanned = undefined;
  }
  const wildcard = state.wildcard;
  const added: string[] = [];
  for (const name of request.resourceNamesSubscribe) {
    if (name === "*") state.wildcard = true;
    else if (!state.names.has(name)) {
      // Keep the resource's own name string: 500 proxies × 1,000 names each decoded anew add up.
      const canonical = current.get(name)?.name ?? name;
      if (state.missing.has(canonical)) continue; // listed twice
      added.push(canonical);
      state.missing.add(canonical);
    }
  }
  if (added.length > 0) state.names = subscribe(state.names, added);
  const dropped = request.resourceNamesUnsubscribe.filter((name) => name !== "*" && state.names.has(name));
  if (dropped.length > 0) {
    const names = new Set(state.names); // shared: copied before it changes
    for (const name of dropped) names.delete(name);
    state.names = names;
  }
  for (const name of request.resourceNamesUnsubscribe) {
    if (name === "*") state.wildcard = false;
    else {
      state.missing.delete(name);
      if (!state.wildcard) state.known?.delete(name);
    }
  }
  // Names came into or went out of scope wholesale: what the proxy holds is not known any more.
  if (state.wildcard !== wildcard && state.known === undefined) state.held = undefined;
}

function createDeltaProtocol(
  config: XdsServerConfig,
  binary: boolean,
  splicer?: ResponseSplicer,
  requestNames?: RequestNames,
): StreamProtocol<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  const states = new Map<string, DeltaTypeState>();

  function respond(type: ResourceType, state: DeltaTypeState, stream: StreamContext, triggeredAt: number) {
    const snapshot = stream.snapshot;
    if (!snapshot) return [];
    const all: ReadonlyMap<string, VersionedResource> = snapshot.resources.get(type.typeUrl) ?? EMPTY;
    // The same map as last time and the same subscription: the proxy already holds all of it.
    if (all === state.scanned && state.missing.size === 0 && (state.answered || !state.wildcard)) return [];
    const inScope = (name: string) => state.wildcard || state.names.has(name);
    // An endpoint edit patches a few entries of the map this stream last scanned: look at those only.
    const patched = state.answered && state.missing.size === 0 && state.scanned !== undefined
      ? patchedNames(all, state.scanned)
      : undefined;
    state.scanned = all;
    const changed: VersionedResource[] = [];
    const removed = new Set<string>();
    /** Where `changed` starts in `all` when it is one unbroken run of it (encodings of runs are shared). */
    let run: number | undefined;
    if (patched === undefined && state.known === undefined && state.held === all) {
      // A subscription step (EDS names as clusters arrive): the proxy holds `all` for every name in scope
      // except the newly subscribed ones, so only those are looked at, in the map's order.
      const positions = positionsOf(all);
      const added: number[] = [];
      for (const name of state.missing) {
        const at = positions.get(name);
        if (at === undefined) removed.add(name);
        else added.push(at);
      }
      added.sort((a, b) => a - b);
      const values = valuesOf(all);
      for (const at of added) changed.push(values[at]);
      if (added.length > 0 && added[added.length - 1] - added[0] + 1 === added.length) run = added[0];
    } else if (patched !== undefined) {
      for (const name of patched) {
        const r = all.get(name)!;
        if (inScope(name) && heldVersion(state, name) !== r.version) changed.push(r);
      }
    } else {
      let index = 0;
      let first = -1;
      let last = -1;
      for (const r of all.values()) {
        if (inScope(r.name) && heldVersion(state, r.name) !== r.version) {
          if (first < 0) first = index;
          last = index;
          changed.push(r);
        }
        index++;
      }
      if (first >= 0 && last - first + 1 === changed.length) run = first;
      for (const name of heldNames(state, inScope)) if (!all.has(name)) removed.add(name);
      for (const name of state.missing) if (!all.has(name)) removed.add(name);
    }
    // From here on the proxy holds exactly `all` (for the names in scope).
    state.missing.clear();
    state.known = undefined;
    state.held = all;
    if (changed.length === 0 && removed.size === 0 && (state.answered || !state.wildcard)) return [];
    Object.assign(state, { answered: true, lastVersion: snapshot.version, burst: new Set<string>() });
    // Large binary responses go out in pieces (removals in the first), see piecesOf.
    const limits = splicer ? SPLICED_PIECES : PIECES;
    const encoded = binary ? deltaPiecesFor(type, all, changed, run, limits) : undefined;
    const pieces = encoded ? encoded.ranges : [[0, changed.length] as const];
    return pieces.map(([from, to], i) => {
      const nonce = stream.nextNonce();
      state.burst!.add(nonce);
      state.lastNonce = nonce;
      const response = create(DeltaDiscoveryResponseSchema, {
        systemVersionInfo: snapshot.version,
        typeUrl: type.typeUrl,
        nonce,
        resources: binary
          ? []
          : changed.slice(from, to).map((r) =>
            create(ResourceSchema, { name: r.name, version: r.version, resource: packResource(type, r) })
          ),
        removedResources: i === 0 ? [...removed] : [],
      });
      if (encoded) {
        response.$unknown = encoded.fields[i];
        splicer?.defer(response);
      }
      config.status.responseSent(stream.connectionId, type.typeUrl, snapshot.version, nonce, triggeredAt);
      return response;
    });
  }

  return {
    onReceive(request) {
      const shared = requestNames?.restore(request);
      if (shared !== undefined) request.resourceNamesSubscribe = shared as string[];
    },
    onArrival(request, stream) {
      request.resourceNamesSubscribe = canonicalNames(
        request.resourceNamesSubscribe,
        stream.snapshot?.resources.get(request.typeUrl),
      );
    },
    onRequest(request, stream, receivedAt) {
      const type = resourceType(request.typeUrl);
      if (!type) return [];
      let state = states.get(type.typeUrl);
      if (!state) {
        state = {
          wildcard: type.wildcard && request.resourceNamesSubscribe.length === 0,
          names: NO_NAMES,
          known: new Map(Object.entries(request.initialResourceVersions)),
          missing: new Set(),
          answered: false,
        };
        states.set(type.typeUrl, state);
      }
      // Subscription changes are deltas the client will not repeat: applied whatever the nonce says.
      applySubscription(state, request, stream.snapshot?.resources.get(type.typeUrl) ?? EMPTY);
      // A reply to any piece of the last response: a NACK of any piece counts, the ACK of the last one.
      if (request.responseNonce !== "" && state.burst?.has(request.responseNonce)) {
        const version = state.lastVersion ?? "";
        if (request.errorDetail) {
          const message = request.errorDetail.message || `code ${request.errorDetail.code}`;
          config.status.nackReceived(
            stream.connectionId,
            type.typeUrl,
            version,
            request.responseNonce,
            message,
          );
        } else if (request.responseNonce === state.lastNonce) {
          config.status.ackReceived(stream.connectionId, type.typeUrl, version, request.responseNonce);
        }
      }
      return respond(type, state, stream, receivedAt);
    },
    onSnapshot: (stream, triggeredAt) =>
      respondToSnapshot(states, (type, state) => respond(type, state, stream, triggeredAt)),
  };
}

/** The `DeltaAggregatedResources` handler (bidi streaming, incremental). */
export function createDeltaHandler(config: XdsServerConfig, connectionSeq: () => number = counter()) {
  return function deltaAggregatedResources(
    requests: AsyncIterable<DeltaDiscoveryRequest>,
    context: HandlerContext,
  ): AsyncIterable<DeltaDiscoveryResponse> {
    return runXdsStream(
      requests,
      context.signal,
      config,
      "delta",
      connectionSeq,
      createDeltaProtocol(
        config,
        isBinaryCodec(context.requestHeader.get("content-type")),
        context.values.get(RESPONSE_SPLICER),
        context.values.get(REQUEST_NAMES),
      ),
    );
  };
}
