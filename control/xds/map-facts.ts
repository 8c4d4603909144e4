// Facts kept about each per-type resource map of a snapshot: its version sums and a key-set token.
//
// Snapshots of one node share per-type maps from push to push when a type did not change (snapshot-build.ts),
// and maps are never mutated once built, so facts computed for a map object hold for as long as it lives.
import { hash32 } from "../../proxy/cluster/lb/hash.ts";
import type { VersionedResource } from "./snapshot.ts";

export type ResourceMap = ReadonlyMap<string, VersionedResource>;

const encoder = new TextEncoder();
const entryHashes = new WeakMap<VersionedResource, readonly [number, number]>();
const sums = new WeakMap<ResourceMap, readonly [number, number]>();
const keyTokens = new WeakMap<ResourceMap, object>();

/** Two seeded hashes of "<type URL>\n<name>\n<version>": a snapshot's version sums them over its entries. */
export function hashEntry(url: string, name: string, version: string): [number, number] {
  const bytes = encoder.encode(`${url}\n${name}\n${version}`);
  return [hash32(bytes, 0), hash32(bytes, 0x9747b28c)];
}

/** An entry's hashes, once per versioned resource (they are shared between snapshots). */
export function entryHashOf(url: string, r: VersionedResource): readonly [number, number] {
  let h = entryHashes.get(r);
  if (h === undefined) entryHashes.set(r, h = hashEntry(url, r.name, r.version));
  return h;
}

/** Records an entry's hashes when they were computed with it. */
export function recordEntryHash(r: VersionedResource, a: number, b: number): void {
  entryHashes.set(r, [a, b]);
}

/** The sums (mod 2^32) of a map's entry hashes. */
export function sumsOf(url: string, map: ResourceMap): readonly [number, number] {
  let s = sums.get(map);
  if (s === undefined) {
    let a = 0;
    let b = 0;
    for (const r of map.values()) {
      const [x, y] = entryHashOf(url, r);
      a = (a + x) | 0;
      b = (b + y) | 0;
    }
    sums.set(map, s = [a, b]);
  }
  return s;
}

export function recordSums(map: ResourceMap, a: number, b: number): void {
  sums.set(map, [a, b]);
}

/**
 * An object standing for the map's set of names: maps with the same token have the same names (the reverse
 * need not hold). Checks that depend only on which names exist are cached per token.
 */
export function keyTokenOf(map: ResourceMap): object {
  let token = keyTokens.get(map);
  if (token === undefined) keyTokens.set(map, token = {});
  return token;
}

/** Declares that `map` has exactly the names of `from` (the caller has checked). */
export function shareKeyToken(map: ResourceMap, from: ResourceMap): void {
  keyTokens.set(map, keyTokenOf(from));
}

/**
 * What a map was patched from is named by a token, not held: holding `from` would keep every earlier map of the
 * chain alive through this table (each entry's value reaching the next key), ~0.3 MB per endpoint edit at the
 * benchmark's scale, for as long as the newest map lives.
 */
const identities = new WeakMap<ResourceMap, object>();
const identityOf = (map: ResourceMap): object => {
  let id = identities.get(map);
  if (id === undefined) identities.set(map, id = {});
  return id;
};

const patches = new WeakMap<
  ResourceMap,
  { readonly from: object; readonly changed: readonly string[] }
>();

/** Declares that `map` is `from` with exactly the entries named `changed` replaced (same names otherwise). */
export function recordPatch(map: ResourceMap, from: ResourceMap, changed: readonly string[]): void {
  patches.set(map, { from: identityOf(from), changed });
}

/**
 * The names whose entries differ between `from` and `map`, when `map` was patched from `from` (an endpoint
 * edit): a stream that holds `from` then looks at those few names instead of comparing every entry.
 */
export function patchedNames(map: ResourceMap, from: ResourceMap): readonly string[] | undefined {
  const p = patches.get(map);
  return p !== undefined && p.from === identities.get(from) ? p.changed : undefined;
}

const positions = new WeakMap<ResourceMap, ReadonlyMap<string, number>>();
const valueLists = new WeakMap<ResourceMap, readonly VersionedResource[]>();

/** Each name's index in the map's order (built once per map, on demand). */
export function positionsOf(map: ResourceMap): ReadonlyMap<string, number> {
  let p = positions.get(map);
  if (p === undefined) {
    const byName = new Map<string, number>();
    let i = 0;
    for (const name of map.keys()) byName.set(name, i++);
    positions.set(map, p = byName);
  }
  return p;
}

/** The map's entries as a list, in its order (built once per map, on demand). */
export function valuesOf(map: ResourceMap): readonly VersionedResource[] {
  let v = valueLists.get(map);
  if (v === undefined) valueLists.set(map, v = [...map.values()]);
  return v;
}
