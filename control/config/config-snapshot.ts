// Frozen config snapshots, indexed by kind and by key; the next one is built from the last by patching what changed.
import { compare } from "../model/order.ts";
import type { ConfigObject } from "../model/types.ts";
import type { KindSpecs } from "./istio-types.ts";

/** A frozen view of one accepted config set. */
export interface ConfigSnapshot {
  /** 0 before anything was accepted; +1 on every accepted change. */
  readonly version: number;
  /** One kind's objects by namespace, name: the same array in the next snapshot while none of them changed. */
  list<K extends keyof KindSpecs>(kind: K): readonly ConfigObject<KindSpecs[K]>[];
  list(kind: string): readonly ConfigObject[];
  get<K extends keyof KindSpecs>(
    kind: K,
    namespace: string,
    name: string,
  ): ConfigObject<KindSpecs[K]> | undefined;
  get(kind: string, namespace: string, name: string): ConfigObject | undefined;
  /** Every object, sorted by kind, namespace, name. */
  all(): readonly ConfigObject[];
  /** How many objects. */
  readonly size: number;
}

/** A snapshot with the indexes the next one is patched from. */
export interface IndexedSnapshot extends ConfigSnapshot {
  readonly byKind: ReadonlyMap<string, readonly ConfigObject[]>;
  readonly byKey: ReadonlyMap<string, ConfigObject>;
}

const keys = new WeakMap<ConfigObject, string>();
const json = new WeakMap<ConfigObject, string>();

/** "kind/namespace/name", made once per object (a reload meets every unchanged object again). */
export function keyOf(o: ConfigObject): string {
  let key = keys.get(o);
  if (key === undefined) keys.set(o, key = `${o.kind}/${o.namespace}/${o.name}`);
  return key;
}

/** An object's JSON; objects come from the per-file cache and are frozen once accepted, so it is kept. */
export function jsonOf(o: ConfigObject): string {
  let text = json.get(o);
  if (text === undefined) json.set(o, text = JSON.stringify(o));
  return text;
}

const byName = (a: ConfigObject, b: ConfigObject) =>
  compare(a.namespace, b.namespace) || compare(a.name, b.name);

/** By kind, namespace, name (field by field: "/" in a key would sort before a longer kind's letters). */
export function sortObjects(objects: readonly ConfigObject[]): ConfigObject[] {
  return [...objects].sort((a, b) => compare(a.kind, b.kind) || byName(a, b));
}

/** A snapshot of `sorted` (objects sorted by sortObjects, no two with the same key). */
export function createSnapshot(sorted: readonly ConfigObject[], version: number): IndexedSnapshot {
  const byKind = new Map<string, ConfigObject[]>();
  const byKey = new Map<string, ConfigObject>();
  for (const o of sorted) {
    const frozen = deepFreeze(o);
    const list = byKind.get(o.kind);
    if (list === undefined) byKind.set(o.kind, [frozen]);
    else list.push(frozen);
    byKey.set(keyOf(o), frozen);
  }
  return indexed(byKind, byKey, version, Object.freeze([...byKey.values()]));
}

/**
 * The snapshot after the keys of `removed` left `base` and `added` joined it (added keys must not be in `base`
 * once the removed ones are gone). Kinds nobody touched keep their arrays; the others are re-sorted from nearly sorted.
 */
export function patchSnapshot(
  base: IndexedSnapshot,
  removed: readonly ConfigObject[],
  added: readonly ConfigObject[],
  version: number,
): IndexedSnapshot {
  const byKey = new Map(base.byKey);
  const byKind = new Map(base.byKind);
  // By key, not by object: a reload that found the same objects again leaves the snapshot holding the earlier
  // (equal) instances, while the store's file entries hold the newer ones.
  const gone = new Set<string>();
  const touched = new Set<string>();
  for (const o of removed) {
    const key = keyOf(o);
    byKey.delete(key);
    gone.add(key);
    touched.add(o.kind);
  }
  const joined = new Map<string, ConfigObject[]>();
  for (const o of added) {
    const frozen = deepFreeze(o);
    byKey.set(keyOf(o), frozen);
    touched.add(o.kind);
    const list = joined.get(o.kind);
    if (list === undefined) joined.set(o.kind, [frozen]);
    else list.push(frozen);
  }
  for (const kind of touched) {
    const list = (base.byKind.get(kind) ?? []).filter((o) => !gone.has(keyOf(o)));
    list.push(...joined.get(kind) ?? []);
    if (list.length === 0) byKind.delete(kind);
    else byKind.set(kind, list.sort(byName));
  }
  return indexed(byKind, byKey, version);
}

function indexed(
  byKind: ReadonlyMap<string, readonly ConfigObject[]>,
  byKey: ReadonlyMap<string, ConfigObject>,
  version: number,
  sorted?: readonly ConfigObject[],
): IndexedSnapshot {
  let all = sorted;
  return Object.freeze({
    version,
    byKind,
    byKey,
    size: byKey.size,
    list: ((kind: string) => byKind.get(kind) ?? []) as ConfigSnapshot["list"],
    get: ((kind: string, namespace: string, name: string) =>
      byKey.get(`${kind}/${namespace}/${name}`)) as ConfigSnapshot["get"],
    // Made on first use: a patched snapshot is mostly read by kind.
    all: () =>
      all ??= Object.freeze([...byKind.keys()].sort(compare).flatMap((kind) => byKind.get(kind)!)),
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
