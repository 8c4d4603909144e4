// Runs of encoded resources joined into one raw field, cached per resource map: a first push copies no resource.
//
// encoded-resources.ts encodes each resource once; a response still handed protobuf-es one raw field per
// resource, and its writer adds a small array per field for the tag: a thousand allocations per response, half
// a million for a first push to 500 proxies. All resources of DiscoveryResponse and DeltaDiscoveryResponse
// are field 2, length-delimited, so a run of them is one byte string: the first field's bytes (the writer
// puts its tag) followed by tag + bytes of each next one. Proxies of a class share their resource maps, so the
// runs for "everything in this map" are built once per map and shared by every response that sends it all.
import { WireType } from "@bufbuild/protobuf/wire";
import { deltaResourceField, type RawField, sotwResourceField } from "./encoded-resources.ts";
import type { ResourceMap } from "./map-facts.ts";
import type { ResourceType } from "./resource-types.ts";
import { type PieceLimits, PIECES, piecesOf } from "./response-pieces.ts";
import type { VersionedResource } from "./snapshot.ts";

/** The tag of field 2, length-delimited. */
const RESOURCES_TAG = (2 << 3) | WireType.LengthDelimited;

/** The fields as one raw field (an empty list gives none). */
export function joinFields(fields: readonly RawField[]): RawField[] {
  if (fields.length <= 1) return [...fields];
  let size = fields[0].data.length;
  for (let i = 1; i < fields.length; i++) size += 1 + fields[i].data.length;
  const data = new Uint8Array(size);
  data.set(fields[0].data, 0);
  let at = fields[0].data.length;
  for (let i = 1; i < fields.length; i++) {
    data[at++] = RESOURCES_TAG;
    data.set(fields[i].data, at);
    at += fields[i].data.length;
  }
  return [{ no: fields[0].no, wireType: fields[0].wireType, data }];
}

/** A delta response's resources as pieces (see piecesOf), each piece's fields joined. */
export interface DeltaPieces {
  readonly ranges: readonly (readonly [number, number])[];
  readonly fields: readonly RawField[][];
}

/**
 * Per map: pieces of runs of it, by "<start>:<length>:<piece size>" (a first push sends all of it, or a few
 * long runs).
 */
const deltaRuns = new WeakMap<ResourceMap, Map<string, DeltaPieces>>();
/** Runs kept per map: a class's proxies subscribe in the same steps, so a few runs serve all of them. */
const RUNS_PER_MAP = 16;
const wholeSotw = new WeakMap<ResourceMap, RawField[]>();
/** SotW fields of a part of a map, by the (shared) list of what was chosen. */
const partSotw = new WeakMap<readonly VersionedResource[], RawField[]>();

function deltaPieces(
  type: ResourceType,
  resources: readonly VersionedResource[],
  limits: PieceLimits,
): DeltaPieces {
  const each = resources.map((r) => deltaResourceField(type, r));
  const ranges = piecesOf(each.map((f) => f.data.length), limits);
  return { ranges, fields: ranges.map(([from, to]) => joinFields(each.slice(from, to))) };
}

/**
 * The pieces for sending `resources`, picked from `all` in its order. When they are one unbroken run of the map
 * starting at index `run` (all of it on a first push, or what a subscription step added) and long enough to
 * matter, the pieces are cached on the map and shared by every proxy that sends the same run; otherwise (an
 * edit: a few resources) they are built for this response.
 */
export function deltaPiecesFor(
  type: ResourceType,
  all: ResourceMap,
  resources: readonly VersionedResource[],
  run?: number,
  limits: PieceLimits = PIECES,
): DeltaPieces {
  if (run === undefined || resources.length < 16) return deltaPieces(type, resources, limits);
  let runs = deltaRuns.get(all);
  if (runs === undefined) deltaRuns.set(all, runs = new Map());
  const key = `${run}:${resources.length}:${limits.piece}`;
  let pieces = runs.get(key);
  if (pieces === undefined) {
    pieces = deltaPieces(type, resources, limits);
    if (runs.size >= RUNS_PER_MAP) runs.delete(runs.keys().next().value!);
    runs.set(key, pieces);
  }
  return pieces;
}

/**
 * The SotW `resources` for sending `resources` (picked from `all` in its order), cached when all of it — and,
 * for a part, by the list itself when `shared` (a list streams share, see ads-server.ts `choose`).
 */
export function sotwFieldsFor(
  type: ResourceType,
  all: ResourceMap,
  resources: readonly VersionedResource[],
  shared = false,
): RawField[] {
  const build = () => joinFields(resources.map((r) => sotwResourceField(type, r)));
  if (resources.length !== all.size || all.size === 0) {
    if (!shared) return build();
    let part = partSotw.get(resources);
    if (part === undefined) partSotw.set(resources, part = build());
    return part;
  }
  let fields = wholeSotw.get(all);
  if (fields === undefined) wholeSotw.set(all, fields = build());
  return fields;
}
