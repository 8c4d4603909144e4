// Delta xDS, per stream and type: what the proxy subscribed and holds, and what it is to be sent next.
import type { DeltaDiscoveryRequest } from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import { positionsOf, type ResourceMap, valuesOf } from "./map-facts.ts";
import type { VersionedResource } from "./snapshot.ts";

export interface DeltaTypeState {
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
  /**
   * Names subscribed since the last response (those the snapshot lacks are reported once as removed). Shared
   * with other streams while `missingShared` (a step many streams took alike): copied before it changes.
   */
  missing: ReadonlySet<string>;
  missingShared: boolean;
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

/** Whether `name` is subscribed (or everything is). */
function inScope(state: DeltaTypeState, name: string): boolean {
  return state.wildcard || state.names.has(name);
}

/** Names the proxy holds that are in scope. */
function* heldNames(state: DeltaTypeState): Iterable<string> {
  const names = state.known ?? state.held ?? EMPTY;
  for (const name of names.keys()) if (inScope(state, name) && !state.missing.has(name)) yield name;
}

/**
 * Sets reached from a set by subscribing a list of names (keyed by the list), see `subscribe`. Held weakly: each
 * grown set is itself a key here, and every stream starts from NO_NAMES, which never dies — strong values would
 * keep every set along a chain of subscription steps (a full copy of a class's EDS names each) for ever.
 */
const steps = new WeakMap<ReadonlySet<string>, Map<string, WeakRef<ReadonlySet<string>>>>();
/** Different steps remembered per set: a few proxy classes subscribe from the same set. */
const STEPS_PER_SET = 8;
export const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * `from` plus `added`, as a set shared by every stream that takes the same step from the same set. Proxies of a
 * class subscribe to the same EDS names in the same order as clusters arrive; 500 proxies each holding its own
 * 1,200-name set kept 20 MB of hash tables live (and in every full GC's marking).
 */
function subscribe(from: ReadonlySet<string>, added: readonly string[]): ReadonlySet<string> {
  let next = steps.get(from);
  if (next === undefined) steps.set(from, next = new Map());
  const key = added.join("\u0000");
  let set = next.get(key)?.deref();
  if (set === undefined) {
    const grown = new Set(from);
    for (const name of added) grown.add(name);
    next.delete(key);
    if (next.size >= STEPS_PER_SET) next.delete(next.keys().next().value!);
    next.set(key, new WeakRef(set = grown));
  }
  return set;
}

/** What subscribing a list adds to a set: the new names (in list order, once each) and the grown set. */
interface SubscriptionStep {
  readonly names: ReadonlySet<string>;
  readonly added: ReadonlySet<string>;
  readonly wildcard: boolean;
}

function subscriptionStep(
  from: ReadonlySet<string>,
  list: readonly string[],
  current: ReadonlyMap<string, VersionedResource>,
  already: ReadonlySet<string>,
): SubscriptionStep {
  let wildcard = false;
  const added = new Set<string>();
  for (const name of list) {
    if (name === "*") wildcard = true;
    // Keep the resource's own name string: 500 proxies × 1,000 names each decoded anew add up.
    else if (!from.has(name)) {
      const canonical = current.get(name)?.name ?? name;
      if (!already.has(canonical)) added.add(canonical);
    }
  }
  return { names: added.size > 0 ? subscribe(from, [...added]) : from, added, wildcard };
}

/**
 * Steps taken from a set with a shared (frozen) request list (request-names.ts): 500 proxies subscribing to the
 * same 1,200 EDS names take the step once, and share its sets instead of building 500 of each.
 */
const sharedSteps = new WeakMap<ReadonlySet<string>, WeakMap<readonly string[], SubscriptionStep>>();

function ownMissing(state: DeltaTypeState): Set<string> {
  if (state.missingShared) {
    state.missing = new Set(state.missing);
    state.missingShared = false;
  }
  return state.missing as Set<string>;
}

export function applySubscription(
  state: DeltaTypeState,
  request: DeltaDiscoveryRequest,
  current: ReadonlyMap<string, VersionedResource>,
): void {
  const list = request.resourceNamesSubscribe;
  if (list.length > 0 || request.resourceNamesUnsubscribe.length > 0) state.scanned = undefined;
  const wildcard = state.wildcard;
  if (list.length > 0) {
    let step: SubscriptionStep;
    if (state.missing.size === 0 && Object.isFrozen(list)) {
      let byList = sharedSteps.get(state.names);
      if (byList === undefined) sharedSteps.set(state.names, byList = new WeakMap());
      step = byList.get(list) ?? subscriptionStep(state.names, list, current, state.missing);
      byList.set(list, step);
      if (step.added.size > 0) {
        state.missing = step.added;
        state.missingShared = true;
      }
    } else {
      step = subscriptionStep(state.names, list, current, state.missing);
      if (step.added.size > 0) {
        const missing = ownMissing(state);
        for (const name of step.added) missing.add(name);
      }
    }
    if (step.wildcard) state.wildcard = true;
    state.names = step.names;
  }
  const dropped = request.resourceNamesUnsubscribe.filter((name) => name !== "*" && state.names.has(name));
  if (dropped.length > 0) {
    const names = new Set(state.names); // shared: copied before it changes
    for (const name of dropped) names.delete(name);
    state.names = names;
  }
  for (const name of request.resourceNamesUnsubscribe) {
    if (name === "*") state.wildcard = false;
    else {
      if (state.missing.has(name)) ownMissing(state).delete(name);
      if (!state.wildcard) state.known?.delete(name);
    }
  }
  // Names came into or went out of scope wholesale: what the proxy holds is not known any more.
  if (state.wildcard !== wildcard && state.known === undefined) state.held = undefined;
}

/** What a response sends: resources in `all`'s order, where they start in it when one run, and removals. */
export interface Delta {
  readonly changed: readonly VersionedResource[];
  /** Where `changed` starts in `all` when it is one unbroken run of it (encodings of runs are shared). */
  readonly run: number | undefined;
  readonly removed: readonly string[];
}

/** Deltas many streams compute alike: a first answer (nothing held yet), a shared subscription step. */
const firstAnswers = new WeakMap<ResourceMap, WeakMap<object, WeakMap<ReadonlySet<string>, Delta>>>();
/** The scope of a wildcard subscription, for firstAnswers. */
const WILDCARD = {};
const stepAnswers = new WeakMap<ResourceMap, WeakMap<ReadonlySet<string>, Delta>>();

export function whatToSend(
  state: DeltaTypeState,
  all: ResourceMap,
  patched: Iterable<string> | undefined,
): Delta {
  if (
    patched === undefined && state.held === undefined && (state.known?.size ?? 0) === 0 && state.missingShared
  ) {
    // A first answer, nothing held: it depends on the subscription alone — the whole map for a wildcard, else
    // the names subscribed — whose sets streams that subscribed alike share; so is the answer.
    let bySubscription = firstAnswers.get(all);
    if (bySubscription === undefined) firstAnswers.set(all, bySubscription = new WeakMap());
    const scope = state.wildcard ? WILDCARD : state.names;
    let byMissing = bySubscription.get(scope);
    if (byMissing === undefined) bySubscription.set(scope, byMissing = new WeakMap());
    let delta = byMissing.get(state.missing);
    if (delta === undefined) byMissing.set(state.missing, delta = scan(state, all));
    return delta;
  }
  if (patched === undefined && state.known === undefined && state.held === all) {
    // A subscription step (EDS names as clusters arrive): the proxy holds `all` for every name in scope
    // except the newly subscribed ones, so only those are looked at, in the map's order.
    if (!state.missingShared) return subscriptionDelta(all, state.missing);
    let byMissing = stepAnswers.get(all);
    if (byMissing === undefined) stepAnswers.set(all, byMissing = new WeakMap());
    let delta = byMissing.get(state.missing);
    if (delta === undefined) byMissing.set(state.missing, delta = subscriptionDelta(all, state.missing));
    return delta;
  }
  if (patched === undefined) return scan(state, all);
  const changed: VersionedResource[] = [];
  for (const name of patched) {
    const r = all.get(name)!;
    if (inScope(state, name) && heldVersion(state, name) !== r.version) changed.push(r);
  }
  return { changed, run: undefined, removed: [] };
}

/** Every resource of `all` in scope whose version the proxy does not hold, and what it holds that is gone. */
function scan(state: DeltaTypeState, all: ResourceMap): Delta {
  const changed: VersionedResource[] = [];
  const removed = new Set<string>();
  let index = 0;
  let first = -1;
  let last = -1;
  for (const r of all.values()) {
    if (inScope(state, r.name) && heldVersion(state, r.name) !== r.version) {
      if (first < 0) first = index;
      last = index;
      changed.push(r);
    }
    index++;
  }
  const run = first >= 0 && last - first + 1 === changed.length ? first : undefined;
  for (const name of heldNames(state)) if (!all.has(name)) removed.add(name);
  for (const name of state.missing) if (!all.has(name)) removed.add(name);
  return { changed, run, removed: [...removed] };
}

function subscriptionDelta(all: ResourceMap, missing: ReadonlySet<string>): Delta {
  const positions = positionsOf(all);
  const added: number[] = [];
  const removed: string[] = [];
  for (const name of missing) {
    const at = positions.get(name);
    if (at === undefined) removed.push(name);
    else added.push(at);
  }
  added.sort((a, b) => a - b);
  const values = valuesOf(all);
  const run = added.length > 0 && added[added.length - 1] - added[0] + 1 === added.length
    ? added[0]
    : undefined;
  return { changed: added.map((at) => values[at]), run, removed };
}
