// Runs of pre-encoded resources joined into one raw field decode like one field per resource; whole maps are cached.
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  DeltaDiscoveryResponseSchema,
  DiscoveryResponseSchema,
} from "../../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import { deltaPiecesFor, joinFields, sotwFieldsFor } from "../../../control/xds/encoded-blocks.ts";
import { deltaResourceField, sotwResourceField } from "../../../control/xds/encoded-resources.ts";
import { resourceType } from "../../../control/xds/resource-types.ts";
import { buildSnapshot } from "../../../control/xds/snapshot-cache.ts";
import { TYPE_URLS, type VersionedResource } from "../../../control/xds/snapshot.ts";
import { edsCluster, meshResources } from "./fixtures.ts";

const clusters = Array.from(
  { length: 1500 },
  (_, i) => edsCluster(`outbound|80||svc-${i}.${"x".repeat(150)}`),
);
const snapshot = buildSnapshot({ ...meshResources(), clusters });
const all = snapshot.resources.get(TYPE_URLS.cluster)!;
const type = resourceType(TYPE_URLS.cluster)!;
const resources = [...all.values()] as VersionedResource[];

describe("joined resource fields", () => {
  it("a SotW response with one joined field equals the one with a field per resource", () => {
    const each = create(DiscoveryResponseSchema, { typeUrl: type.typeUrl, nonce: "1" });
    each.$unknown = resources.map((r) => sotwResourceField(type, r));
    const joined = create(DiscoveryResponseSchema, { typeUrl: type.typeUrl, nonce: "1" });
    joined.$unknown = sotwFieldsFor(type, all, resources);
    expect(joined.$unknown).toHaveLength(1);
    const a = fromBinary(DiscoveryResponseSchema, toBinary(DiscoveryResponseSchema, each));
    const b = fromBinary(DiscoveryResponseSchema, toBinary(DiscoveryResponseSchema, joined));
    expect(b.resources).toHaveLength(1500);
    expect(equals(DiscoveryResponseSchema, a, b)).toBe(true);
    // The whole map's field is built once and shared; a part of it is built per call, unless its list is one
    // that streams share.
    expect(sotwFieldsFor(type, all, resources)).toBe(joined.$unknown);
    const part = resources.slice(1);
    expect(sotwFieldsFor(type, all, part)).not.toBe(sotwFieldsFor(type, all, part));
    expect(sotwFieldsFor(type, all, part, true)).toBe(sotwFieldsFor(type, all, part, true));
    expect(sotwFieldsFor(type, all, part, true)).toEqual(sotwFieldsFor(type, all, part));
  });

  it("delta pieces carry every resource once, in order, one joined field per piece", () => {
    const pieces = deltaPiecesFor(type, all, resources, 0);
    expect(pieces.ranges.length).toBeGreaterThan(1);
    // A run of the map (here all of it, from 0) is encoded once; resources that are no run are not cached.
    expect(deltaPiecesFor(type, all, resources, 0)).toBe(pieces);
    expect(deltaPiecesFor(type, all, resources)).not.toBe(pieces);
    const middle = deltaPiecesFor(type, all, resources.slice(100, 400), 100);
    expect(deltaPiecesFor(type, all, resources.slice(100, 400), 100)).toBe(middle);
    expect(middle.fields.flat()).toHaveLength(middle.ranges.length);
    const names = pieces.fields.flatMap((fields) => {
      expect(fields).toHaveLength(1);
      const response = create(DeltaDiscoveryResponseSchema, { typeUrl: type.typeUrl });
      response.$unknown = fields;
      return fromBinary(DeltaDiscoveryResponseSchema, toBinary(DeltaDiscoveryResponseSchema, response))
        .resources.map((r) => r.name);
    });
    expect(names).toEqual(resources.map((r) => r.name));
  });

  it("joins nothing and a single field as they are", () => {
    const one = deltaResourceField(type, resources[0]);
    expect(joinFields([])).toEqual([]);
    expect(joinFields([one])[0]).toBe(one);
  });
});
