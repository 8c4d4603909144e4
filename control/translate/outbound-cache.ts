// Per-push memo of translation that does not depend on which proxy asks: computed once per proxy class, shared.
//
// Outside its own instances (inbound listener and clusters, found by IP or pod name), what a proxy is sent
// depends only on its type, its namespace and — where some config selects workloads by label (a Sidecar or
// DestinationRule workloadSelector, a route match's sourceLabels, a Gateway selector) — its labels. Proxies
// that agree on those get the same outbound clusters, endpoints, routes and listeners, so they are built once
// per push context and shared by reference (translation output is never mutated afterwards), which also lets
// the snapshot cache hash and pack each resource once instead of once per proxy.
import { sameItems } from "../model/order.ts";
import type { ProxyIdentity } from "../model/types.ts";
import type { PushContext } from "../push-context/push-context.ts";
import { hash32 } from "../../proxy/cluster/lb/hash.ts";
import type { WarningSink } from "./context.ts";

interface Entry {
  readonly value: unknown;
  /** Replayed to every caller, so each proxy's result reports the same warnings as an uncached build. */
  readonly warnings: readonly string[];
}

const caches = new WeakMap<PushContext, Map<string, Entry>>();
const labelDependent = new WeakMap<PushContext, boolean>();

interface SourceMatch {
  readonly sourceLabels?: unknown;
}

/** Whether any config in the push context makes translation depend on a proxy's labels. */
function labelsMatter(push: PushContext): boolean {
  let matter = labelDependent.get(push);
  if (matter === undefined) {
    const bySource = (matches: readonly SourceMatch[] | undefined) =>
      matches?.some((m) => m.sourceLabels !== undefined) ?? false;
    matter = push.sidecars.some((s) => s.selector !== undefined) ||
      push.destinationRules.some((dr) => dr.spec.workloadSelector !== undefined) ||
      push.virtualServices.some((vs) =>
        vs.http.some((r) => bySource(r.match)) || vs.tcp.some((r) => bySource(r.match)) ||
        vs.tls.some((r) => bySource(r.match))
      );
    labelDependent.set(push, matter);
  }
  return matter;
}

/** Labels as one string, independent of key order. */
export function labelsKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(",");
}

/** Proxies with equal keys get equal outbound translation from the same push context. */
export function outboundKey(push: PushContext, proxy: ProxyIdentity): string {
  // Gateways are chosen by selector, so a router's labels always count.
  const useLabels = proxy.type === "router" || labelsMatter(push);
  return `${proxy.type}\u0000${proxy.namespace}\u0000${useLabels ? labelsKey(proxy.labels) : ""}`;
}

/**
 * `compute`'s result for this push context and `key`, from the memo when it was computed before: for pieces
 * (one cluster, one load assignment, one listener) whose key names everything they depend on, so that proxy
 * classes share them too. The result is shared: callers must not mutate it.
 */
export function memoPush<T>(
  push: PushContext,
  key: string,
  warn: WarningSink,
  compute: (warn: WarningSink) => T,
): T {
  let cache = caches.get(push);
  if (cache === undefined) caches.set(push, cache = new Map());
  let entry = cache.get(key);
  if (entry === undefined) {
    const warnings: string[] = [];
    entry = { value: compute((message) => warnings.push(message)), warnings };
    cache.set(key, entry);
  }
  for (const w of entry.warnings) warn(w);
  return entry.value as T;
}

interface LastingEntry extends Entry {
  /** The generation of the last push context that used it. */
  used: number;
}

const lasting = new Map<string, LastingEntry>();
const generations = new WeakMap<PushContext, number>();
let generation = 0;

function generationOf(push: PushContext): number {
  let g = generations.get(push);
  if (g === undefined) {
    generations.set(push, g = ++generation);
    // What the last two push contexts did not use is gone from the mesh (or changed): forget it.
    for (const [key, entry] of lasting) if (entry.used < g - 2) lasting.delete(key);
  }
  return g;
}

/**
 * Like `memoPush`, but kept across push contexts, for pieces whose key spells out their whole input (content
 * keys, e.g. a cluster name plus its endpoints' addresses). An endpoint edit then rebuilds, re-hashes and
 * re-encodes only the pieces it changed, and unchanged resources stay the same objects from push to push.
 */
export function memoContent<T>(
  push: PushContext,
  key: string,
  warn: WarningSink,
  compute: (warn: WarningSink) => T,
): T {
  const g = generationOf(push);
  let entry = lasting.get(key);
  if (entry === undefined) {
    const warnings: string[] = [];
    entry = { value: compute((message) => warnings.push(message)), warnings, used: g };
    lasting.set(key, entry);
  }
  entry.used = Math.max(entry.used, g);
  for (const w of entry.warnings) warn(w);
  return entry.value as T;
}

const fingerprints = new WeakMap<PushContext, string>();
const prints = new WeakMap<object, string>();
const encoder = new TextEncoder();

/** A 64-bit hash and the length of a string's UTF-8 bytes. */
function printOfText(text: string): string {
  const bytes = encoder.encode(text);
  return `${hash32(bytes, 0).toString(16)}.${hash32(bytes, 0x9747b28c).toString(16)}.${bytes.length}`;
}

/**
 * An object's print (of its JSON), kept with the object: registries keep a Service object while it is unchanged,
 * so after an endpoint edit only changed services are serialized again, not all of them.
 */
function printOf(o: object): string {
  let print = prints.get(o);
  if (print === undefined) prints.set(o, print = printOfText(JSON.stringify(o)));
  return print;
}

/**
 * A 64-bit hash of everything routes and listeners are translated from — services (not their instances),
 * VirtualServices, DestinationRules, Gateways, Sidecars — so that an endpoint edit keeps them as they were.
 */
function routingFingerprint(push: PushContext): string {
  let fp = fingerprints.get(push);
  if (fp === undefined) {
    const lists = [push.services, push.virtualServices, push.destinationRules, push.gateways, push.sidecars];
    const parts = lists.map((list, i) => partOf(i, list));
    fp = printOfText(JSON.stringify([push.domainSuffix, push.rootNamespace, parts]));
    fingerprints.set(push, fp);
  }
  return fp;
}

/** The last print of each list (by position in routingFingerprint): an edit leaves most lists element for element. */
const lastParts: { list: readonly object[]; part: string }[] = [];

function partOf(i: number, list: readonly object[]): string {
  const last = lastParts[i];
  if (last !== undefined && sameItems(last.list, list)) return last.part;
  const part = list.map(printOf).join(",");
  lastParts[i] = { list, part };
  return part;
}

/**
 * Like `memoOutbound`, kept across push contexts while the routing config is unchanged: for translation that
 * reads services and Istio config but never instances (routes, listeners).
 */
export function memoRouting<T>(
  push: PushContext,
  proxy: ProxyIdentity,
  part: string,
  warn: WarningSink | undefined,
  compute: (warn: WarningSink) => T,
): T {
  const key = `${part}\u0000${outboundKey(push, proxy)}\u0000${routingFingerprint(push)}`;
  return memoContent(push, key, warn ?? (() => {}), compute);
}

/**
 * Like `memoRouting`, for a piece that proxy classes may share (one virtual host): `key` spells out all it
 * depends on besides the routing config, which the memo keys on as well.
 */
export function memoRoutingPiece<T>(
  push: PushContext,
  key: string,
  warn: WarningSink,
  compute: (warn: WarningSink) => T,
): T {
  return memoContent(push, `${key}\u0000${routingFingerprint(push)}`, warn, compute);
}

/** Forgets every entry kept across push contexts (tests compare memoized translation with a cold one). */
export function forgetLastingMemos(): void {
  lasting.clear();
}

const ids = new WeakMap<object, number>();
let nextId = 0;

/** A process-unique number for an object (e.g. the DestinationRule a cluster was built from), for memo keys. */
export function objectId(o: object | undefined): string {
  if (o === undefined) return "-";
  let id = ids.get(o);
  if (id === undefined) ids.set(o, id = ++nextId);
  return String(id);
}

/**
 * `compute`'s result for this push context and the proxy's class (`part` names what is computed), from the
 * memo when another proxy of the class asked already. The result is shared: callers must not mutate it.
 */
export function memoOutbound<T>(
  push: PushContext,
  proxy: ProxyIdentity,
  part: string,
  warn: WarningSink | undefined,
  compute: (warn: WarningSink) => T,
): T {
  return memoPush(push, `${part}\u0000${outboundKey(push, proxy)}`, warn ?? (() => {}), compute);
}

/**
 * `shared` (a class's outbound list) followed by `own` (the proxy's inbound pieces), as one frozen list that
 * every proxy of the class with the same inbound pieces gets: the snapshot builder then keeps one resource map
 * for all of them instead of one per proxy.
 */
export function joinShared<T extends object>(
  push: PushContext,
  shared: readonly T[],
  own: readonly T[],
): readonly T[] {
  const key = `join\u0000${objectId(shared)}\u0000${own.map(objectId).join(",")}`;
  return memoPush(push, key, () => {}, () => Object.freeze([...shared, ...own]));
}
