// State-of-the-world ADS: per type, the subscribed names, the last response (version, nonce) and ACK/NACK.
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type DiscoveryRequest,
  type DiscoveryResponse,
  DiscoveryResponseSchema,
} from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import { isBinaryCodec } from "./encoded-resources.ts";
import { sotwFieldsFor } from "./encoded-blocks.ts";
import { RESPONSE_SPLICER, type ResponseSplicer } from "./response-splice.ts";
import { REQUEST_NAMES, type RequestNames } from "./request-names.ts";
import { packResource, type ResourceType, resourceType } from "./resource-types.ts";
import { typeVersion } from "./snapshot-cache.ts";
import { setVersion } from "./snapshot-build.ts";
import { entryHashOf, patchedNames, type ResourceMap, sumsOf } from "./map-facts.ts";
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

interface SotwTypeState {
  /** LDS/CDS with an empty first request, or "*" among the names. */
  wildcard: boolean;
  names: ReadonlySet<string>;
  /** The last response: its version, nonce and a hash of exactly which resource versions it held. */
  sent?: {
    readonly version: string;
    readonly nonce: string;
    readonly contents: string;
  };
  ackedVersion?: string;
  /** The resource map `sent` was last compared with, under the current subscription. */
  sentFrom?: ReadonlyMap<string, VersionedResource>;
  /** Whether the subscription covered every entry of `sentFrom`. */
  coversAll?: boolean;
}

const EMPTY: ReadonlyMap<string, VersionedResource> = new Map();

/** A 64-bit hash of a set of (name, version) entries: the map's cached sums when all of it was chosen. */
function contentsOf(url: string, all: ResourceMap, chosen: readonly VersionedResource[]): string {
  if (chosen.length === all.size) return setVersion(...sumsOf(url, all), all.size);
  let a = 0;
  let b = 0;
  for (const r of chosen) {
    const [x, y] = entryHashOf(url, r);
    a = (a + x) | 0;
    b = (b + y) | 0;
  }
  return setVersion(a, b, chosen.length);
}

function sameList(set: ReadonlySet<string>, names: readonly string[]): boolean {
  if (names.length === 0 || names.length !== set.size) return false;
  let i = 0;
  for (const n of set) if (n !== names[i++]) return false;
  return true;
}

/** The sets of shared request lists (see sharedNames). */
const setsOfSharedLists = new WeakMap<readonly string[], ReadonlySet<string>>();

/** What a full (not patched) response of a map holds for a subscription scope, shared by the streams with it. */
interface Choice {
  readonly chosen: readonly VersionedResource[];
  readonly coversAll: boolean;
  readonly contents: string;
}

const choices = new WeakMap<ResourceMap, WeakMap<object, Choice>>();
/** The scope of a wildcard subscription, for `choices`. */
const WILDCARD = {};

/** The resources of `all` in the subscription's scope (a wildcard's, or the shared set of names), memoized. */
function choose(url: string, all: ResourceMap, wildcard: boolean, names: ReadonlySet<string>): Choice {
  let byScope = choices.get(all);
  if (byScope === undefined) choices.set(all, byScope = new WeakMap());
  const scope = wildcard ? WILDCARD : names;
  let choice = byScope.get(scope);
  if (choice === undefined) {
    const chosen: VersionedResource[] = [];
    for (const r of all.values()) if (wildcard || names.has(r.name)) chosen.push(r);
    choice = { chosen, coversAll: chosen.length === all.size, contents: contentsOf(url, all, chosen) };
    byScope.set(scope, choice);
  }
  return choice;
}

/** Recent subscriptions by their name list: streams asking for the same names share one set (never mutated). */
const subscriptions = new Map<string, ReadonlySet<string>>();
const SUBSCRIPTIONS_KEPT = 64;

/**
 * The set of `names` (without "*"), shared with every stream that asked for the same list: 500 proxies of a few
 * classes each holding its own 1,200-name EDS set kept 20 MB of hash tables live. Members are the resources'
 * own name strings where there is one, not the request's decoded copies.
 */
function sharedNames(
  names: readonly string[],
  current: ReadonlyMap<string, VersionedResource>,
): ReadonlySet<string> {
  // A list shared between requests already (frozen, request-names.ts) is its own key: no 60 KB join per stream.
  if (Object.isFrozen(names)) {
    let set = setsOfSharedLists.get(names);
    if (set === undefined) setsOfSharedLists.set(names, set = sharedNames([...names], current));
    return set;
  }
  const key = names.join("\u0000");
  let set = subscriptions.get(key);
  if (set === undefined) {
    set = new Set(names.filter((n) => n !== "*").map((n) => current.get(n)?.name ?? n));
    if (subscriptions.size >= SUBSCRIPTIONS_KEPT) subscriptions.delete(subscriptions.keys().next().value!);
  } else subscriptions.delete(key); // most recently used last
  subscriptions.set(key, set);
  return set;
}

function subscribe(
  state: SotwTypeState,
  type: ResourceType,
  names: readonly string[],
  first: boolean,
  current: ReadonlyMap<string, VersionedResource>,
): void {
  // Every SotW ACK repeats the whole subscription (a thousand EDS names): the same list, in the same order as
  // the set was built from, changes nothing.
  if (!first && !state.wildcard && sameList(state.names, names)) return;
  const before = { wildcard: state.wildcard, names: state.names };
  if (type.wildcard && names.length === 0 && (first || state.wildcard)) {
    state.wildcard = true;
    state.names = new Set();
  } else {
    state.wildcard = names.includes("*");
    state.names = sharedNames(names, current);
  }
  const same = before.wildcard === state.wildcard && before.names.size === state.names.size &&
    [...state.names].every((n) => before.names.has(n));
  if (!same) state.sentFrom = undefined;
}

function createSotwProtocol(
  config: XdsServerConfig,
  binary: boolean,
  splicer?: ResponseSplicer,
  requestNames?: RequestNames,
): StreamProtocol<DiscoveryRequest, DiscoveryResponse> {
  const states = new Map<string, SotwTypeState>();

  /** A response for the type if what the proxy should have differs from what it was last sent. */
  function respond(type: ResourceType, state: SotwTypeState, stream: StreamContext, triggeredAt: number) {
    const snapshot = stream.snapshot;
    if (!snapshot || (!state.wildcard && state.names.size === 0)) return [];
    const all: ReadonlyMap<string, VersionedResource> = snapshot.resources.get(type.typeUrl) ?? EMPTY;
    // The map the last response (or comparison) was made from, and the same subscription: nothing new.
    if (state.sent && all === state.sentFrom) return [];
    const before = state.sentFrom;
    state.sentFrom = all;
    // EDS and RDS may be sent in part (the xDS spec: only LDS and CDS responses must carry the whole state):
    // after an ACKed response that covered the whole map, an endpoint edit sends just the changed entries.
    const patched = !type.wildcard && state.coversAll && before !== undefined &&
        state.ackedVersion !== undefined && state.ackedVersion === state.sent?.version
      ? patchedNames(all, before)
      : undefined;
    let chosen: readonly VersionedResource[];
    let contents: string;
    if (patched !== undefined) {
      chosen = patched.map((name) => all.get(name)!);
      contents = setVersion(...sumsOf(type.typeUrl, all), all.size);
    } else {
      const choice = choose(type.typeUrl, all, state.wildcard, state.names);
      chosen = choice.chosen;
      contents = choice.contents;
      state.coversAll = choice.coversAll;
    }
    // Unchanged contents are not resent — this is also what keeps a NACKed version from being sent again.
    if (state.sent?.contents === contents) return [];
    const version = typeVersion(snapshot, type.typeUrl);
    const nonce = stream.nextNonce();
    state.sent = { version, nonce, contents };
    const response = create(DiscoveryResponseSchema, {
      versionInfo: version,
      typeUrl: type.typeUrl,
      nonce,
      resources: binary ? [] : chosen.map((r) => packResource(type, r)),
    });
    if (binary) {
      response.$unknown = sotwFieldsFor(type, all, chosen, patched === undefined);
      splicer?.defer(response);
    }
    config.status.responseSent(stream.connectionId, type.typeUrl, version, nonce, triggeredAt);
    return [response];
  }

  return {
    onReceive(request) {
      const shared = requestNames?.restore(request);
      if (shared !== undefined) request.resourceNames = shared as string[];
    },
    onArrival(request, stream) {
      request.resourceNames = canonicalNames(
        request.resourceNames,
        stream.snapshot?.resources.get(request.typeUrl),
      );
    },
    onRequest(request, stream, receivedAt) {
      const type = resourceType(request.typeUrl);
      if (!type) return []; // a type Weft does not serve: never answered, like go-control-plane
      let state = states.get(type.typeUrl);
      const first = state === undefined;
      if (request.responseNonce !== "") {
        // Only a reply to the latest response counts; anything older is stale and ignored entirely.
        if (!state?.sent || request.responseNonce !== state.sent.nonce) return [];
        if (request.errorDetail) {
          const message = request.errorDetail.message || `code ${request.errorDetail.code}`;
          config.status.nackReceived(
            stream.connectionId,
            type.typeUrl,
            state.sent.version,
            state.sent.nonce,
            message,
          );
        } else if (request.versionInfo === state.sent.version) {
          state.ackedVersion = state.sent.version;
          config.status.ackReceived(stream.connectionId, type.typeUrl, state.sent.version, state.sent.nonce);
        }
      }
      if (!state) states.set(type.typeUrl, state = { wildcard: false, names: new Set() });
      subscribe(
        state,
        type,
        request.resourceNames,
        first,
        stream.snapshot?.resources.get(type.typeUrl) ?? EMPTY,
      );
      return respond(type, state, stream, receivedAt);
    },
    onSnapshot: (stream, triggeredAt) =>
      respondToSnapshot(states, (type, state) => respond(type, state, stream, triggeredAt)),
  };
}

/** The `StreamAggregatedResources` handler (bidi streaming, SotW). */
export function createSotwHandler(config: XdsServerConfig, connectionSeq: () => number = counter()) {
  return function streamAggregatedResources(
    requests: AsyncIterable<DiscoveryRequest>,
    context: HandlerContext,
  ): AsyncIterable<DiscoveryResponse> {
    const binary = isBinaryCodec(context.requestHeader.get("content-type"));
    return runXdsStream(
      requests,
      context.signal,
      config,
      "sotw",
      connectionSeq,
      createSotwProtocol(
        config,
        binary,
        context.values.get(RESPONSE_SPLICER),
        context.values.get(REQUEST_NAMES),
      ),
    );
  };
}
