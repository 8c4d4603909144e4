// Building a node's snapshot: content-hash versions, shared with the node's previous snapshot where unchanged.
//
// A push rebuilds every connected proxy's snapshot, thousands of resources each. Translation hands out the same
// message objects for unchanged resources (outbound-cache.ts), so most per-type maps can be taken over from the
// node's previous snapshot as they are (same object), or copied with the few changed entries replaced; only
// new message objects are hashed. Maps are never mutated once built: snapshots share them freely.
import type { Message } from "@bufbuild/protobuf";
import type { Cluster } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import type { ClusterLoadAssignment } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import type { Listener } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { RouteConfiguration } from "../../gen/envoy/config/route/v3/route_pb.ts";
import type { Secret } from "../../gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.ts";
import { hash32 } from "../../proxy/cluster/lb/hash.ts";
import { WeftError } from "../../proxy/errors.ts";
import {
  entryHashOf,
  hashEntry,
  recordEntryHash,
  recordPatch,
  recordSums,
  type ResourceMap,
  shareKeyToken,
  sumsOf,
} from "./map-facts.ts";
import { recordEncoding } from "./encoded-resources.ts";
import { encodeResource } from "./route-encoding.ts";
import { type ResourceType, resourceType, resourceTypeOf } from "./resource-types.ts";
import { type Snapshot, TYPE_URLS, type TypeUrl, type VersionedResource } from "./snapshot.ts";

/** What translation produces for one proxy. */
export interface SnapshotResources {
  readonly listeners: readonly Listener[];
  readonly routes: readonly RouteConfiguration[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
  readonly secrets?: readonly Secret[];
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/** A 64-bit content hash (two seeded MurmurHash3 passes) as 16 hex digits. */
export function contentHash(bytes: Uint8Array): string {
  return hex(hash32(bytes, 0)) + hex(hash32(bytes, 0x9747b28c));
}

function nameOf(message: Message): string {
  const m = message as Message & { name?: string; clusterName?: string };
  return m.$typeName === "envoy.config.endpoint.v3.ClusterLoadAssignment"
    ? m.clusterName ?? ""
    : m.name ?? "";
}

const versions = new WeakMap<Message, VersionedResource>();

/** The message with its content-hash version, hashed once per message object (resources are never mutated). */
function versioned(type: ResourceType, name: string, message: Message): VersionedResource {
  let r = versions.get(message);
  if (r === undefined || r.name !== name) {
    const bytes = encodeResource(type.schema, message);
    const version = contentHash(bytes);
    r = { name, version, resource: message };
    recordEncoding(r, bytes);
    const [a, b] = hashEntry(type.typeUrl, name, version);
    recordEntryHash(r, a, b);
    versions.set(message, r);
  }
  return r;
}

/** Where each list of SnapshotResources goes. */
const LISTS: readonly [keyof SnapshotResources, TypeUrl][] = [
  ["listeners", TYPE_URLS.listener],
  ["routes", TYPE_URLS.route],
  ["clusters", TYPE_URLS.cluster],
  ["endpoints", TYPE_URLS.endpoint],
  ["secrets", TYPE_URLS.secret],
];

const encoder = new TextEncoder();

/** A hash of a set of entries from the sums of their hashes and the count: order-independent, linear. */
export function setVersion(a: number, b: number, n: number): string {
  return contentHash(encoder.encode(`${a >>> 0}:${b >>> 0}:${n}`));
}

/**
 * Builds a snapshot: each resource's version is a hash of its binary encoding (so an unchanged resource
 * keeps its version), the snapshot version a hash of all of them. When nothing changed since `previous`,
 * the previous snapshot is returned as is.
 */
export function buildSnapshot(resources: SnapshotResources, previous?: Snapshot): Snapshot {
  let byType: Map<string, ResourceMap>;
  try {
    byType = typeMaps(resources, previous);
  } catch (err) {
    if (err !== WRONG_LIST) throw err;
    byType = mixedMaps(resources, previous);
  }
  let a = 0;
  let b = 0;
  let n = 0;
  for (const [url, map] of byType) {
    const [x, y] = sumsOf(url, map);
    a = (a + x) | 0;
    b = (b + y) | 0;
    n += map.size;
  }
  const snapshot: Snapshot = { version: setVersion(a, b, n), resources: byType };
  return previous?.version === snapshot.version ? previous : snapshot;
}

/** Thrown (and caught by buildSnapshot) when a list holds a message of another type. */
const WRONG_LIST = Symbol("a list holds another type's message");

function checkType(type: ResourceType, message: Message): void {
  if (message.$typeName !== type.schema.typeName) throw WRONG_LIST;
}

/**
 * Every list holds its own type (checked on the way, for messages not seen in the previous map): one map per
 * list, shared with or patched from the previous snapshot.
 */
function typeMaps(resources: SnapshotResources, previous: Snapshot | undefined): Map<string, ResourceMap> {
  const byType = new Map<string, ResourceMap>();
  for (const [list, url] of LISTS) {
    byType.set(url, typeMap(resourceType(url)!, resources[list] ?? [], previous?.resources.get(url)));
  }
  return byType;
}

/**
 * Maps built from frozen lists. Translation hands every proxy of a class the same frozen list (e.g. its
 * endpoints), so the class shares one map: built, hashed and diffed once per push instead of once per proxy.
 */
const mapsByList = new WeakMap<readonly Message[], ResourceMap>();

function typeMap(
  type: ResourceType,
  list: readonly Message[],
  previous: ResourceMap | undefined,
): ResourceMap {
  const shared = mapsByList.get(list);
  if (shared !== undefined) return shared;
  const map = buildTypeMap(type, list, previous);
  if (Object.isFrozen(list)) mapsByList.set(list, map);
  return map;
}

function buildTypeMap(
  type: ResourceType,
  list: readonly Message[],
  previous: ResourceMap | undefined,
): ResourceMap {
  if (previous !== undefined && previous.size === list.length) {
    const patched = patch(type, list, previous);
    if (patched !== undefined) return patched;
  }
  const map = new Map<string, VersionedResource>();
  let a = 0;
  let b = 0;
  for (const message of list) {
    checkType(type, message);
    const name = nameOf(message);
    if (name === "") throw new WeftError("config", `${type.short}: a resource has no name`);
    if (map.has(name)) throw new WeftError("config", `${type.short}: duplicate resource name "${name}"`);
    const fresh = versioned(type, name, message);
    const old = previous?.get(name);
    const kept = old?.version === fresh.version ? old : fresh;
    map.set(name, kept);
    const [x, y] = entryHashOf(type.typeUrl, kept);
    a = (a + x) | 0;
    b = (b + y) | 0;
  }
  recordSums(map, a, b);
  if (previous !== undefined && sameNames(map, previous)) shareKeyToken(map, previous);
  return map;
}

/**
 * When `list` names the same resources in the same order as `previous`: `previous` itself if no version
 * changed, else a copy with the changed entries replaced. Undefined when the names differ.
 */
function patch(type: ResourceType, list: readonly Message[], previous: ResourceMap): ResourceMap | undefined {
  let i = 0;
  let changed: VersionedResource[] | undefined;
  // values(), not entries(): a [name, r] pair per entry per proxy per push was most of a push's garbage.
  for (const r of previous.values()) {
    const message = list[i++];
    if (r.resource === message) continue;
    checkType(type, message);
    if (nameOf(message) !== r.name) return undefined;
    const fresh = versioned(type, r.name, message);
    if (fresh.version !== r.version) (changed ??= []).push(fresh);
  }
  if (changed === undefined) return previous;
  // Copied entry by entry: `new Map(previous)` goes through the iterator, an array per entry.
  const map = new Map<string, VersionedResource>();
  previous.forEach((r, name) => map.set(name, r));
  let [a, b] = sumsOf(type.typeUrl, previous);
  for (const fresh of changed) {
    const [oa, ob] = entryHashOf(type.typeUrl, previous.get(fresh.name)!);
    const [na, nb] = entryHashOf(type.typeUrl, fresh);
    a = (a - oa + na) | 0;
    b = (b - ob + nb) | 0;
    map.set(fresh.name, fresh);
  }
  recordSums(map, a, b);
  shareKeyToken(map, previous);
  recordPatch(map, previous, changed.map((r) => r.name));
  return map;
}

function sameNames(a: ResourceMap, b: ResourceMap): boolean {
  if (a.size !== b.size) return false;
  for (const name of a.keys()) if (!b.has(name)) return false;
  return true;
}

/** Some list holds another type's message: each message goes by its own type (no sharing). */
function mixedMaps(resources: SnapshotResources, previous: Snapshot | undefined): Map<string, ResourceMap> {
  const byType = new Map<string, Map<string, VersionedResource>>();
  for (const url of Object.values(TYPE_URLS)) byType.set(url, new Map());
  for (const [list] of LISTS) {
    for (const message of resources[list] ?? []) {
      const type = resourceTypeOf(message);
      if (!type) throw new WeftError("internal", `not an xDS resource: ${message.$typeName}`);
      const name = nameOf(message);
      const map = byType.get(type.typeUrl)!;
      if (name === "") throw new WeftError("config", `${type.short}: a resource has no name`);
      if (map.has(name)) throw new WeftError("config", `${type.short}: duplicate resource name "${name}"`);
      const fresh = versioned(type, name, message);
      const old = previous?.resources.get(type.typeUrl)?.get(name);
      map.set(name, old?.version === fresh.version ? old : fresh);
    }
  }
  return byType;
}

const typeVersions = new WeakMap<ResourceMap, string>();
const EMPTY: ResourceMap = new Map();

/** SotW version_info of one type: changes only when a resource of that type is added, removed or changed. */
export function typeVersion(snapshot: Snapshot, typeUrl: string): string {
  const map = snapshot.resources.get(typeUrl) ?? EMPTY;
  let version = typeVersions.get(map);
  if (version === undefined) {
    const [a, b] = sumsOf(typeUrl, map);
    typeVersions.set(map, version = setVersion(a, b, map.size));
  }
  return version;
}

/** An empty snapshot (every type present, no resources). */
export function emptySnapshot(): Snapshot {
  return buildSnapshot({ listeners: [], routes: [], clusters: [], endpoints: [] });
}
