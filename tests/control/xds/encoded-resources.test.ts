// Pre-encoded resources in binary ADS responses decode exactly like responses built from messages.
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  DeltaDiscoveryResponseSchema,
  DiscoveryResponseSchema,
  ResourceSchema,
} from "../../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import {
  deltaResourceField,
  isBinaryCodec,
  sotwResourceField,
} from "../../../control/xds/encoded-resources.ts";
import { packResource, RESOURCE_TYPES } from "../../../control/xds/resource-types.ts";
import { buildSnapshot } from "../../../control/xds/snapshot-cache.ts";
import type { VersionedResource } from "../../../control/xds/snapshot.ts";
import { meshResources } from "./fixtures.ts";

const snapshot = buildSnapshot(meshResources(["10.0.0.1", "10.0.0.2"]));
const byType = RESOURCE_TYPES.map((type) => ({
  type,
  resources: [...(snapshot.resources.get(type.typeUrl)?.values() ?? [])] as VersionedResource[],
})).filter((t) => t.resources.length > 0);

describe("pre-encoded xDS resources", () => {
  it("a SotW response with raw resource fields decodes to the response built from Any messages", () => {
    expect(byType.length).toBeGreaterThanOrEqual(4);
    for (const { type, resources } of byType) {
      const plain = create(DiscoveryResponseSchema, {
        versionInfo: "v1",
        typeUrl: type.typeUrl,
        nonce: "7",
        resources: resources.map((r) => packResource(type, r)),
      });
      const spliced = create(DiscoveryResponseSchema, {
        versionInfo: "v1",
        typeUrl: type.typeUrl,
        nonce: "7",
      });
      spliced.$unknown = resources.map((r) => sotwResourceField(type, r));
      const decoded = fromBinary(DiscoveryResponseSchema, toBinary(DiscoveryResponseSchema, spliced));
      expect(decoded.resources.map((a) => a.typeUrl)).toEqual(resources.map(() => type.typeUrl));
      expect(equals(DiscoveryResponseSchema, decoded, plain)).toBe(true);
    }
  });

  it("a delta response with raw resource fields decodes to the response built from Resource messages", () => {
    for (const { type, resources } of byType) {
      const plain = create(DeltaDiscoveryResponseSchema, {
        systemVersionInfo: snapshot.version,
        typeUrl: type.typeUrl,
        nonce: "3",
        resources: resources.map((r) =>
          create(ResourceSchema, { name: r.name, version: r.version, resource: packResource(type, r) })
        ),
        removedResources: ["gone"],
      });
      const spliced = create(DeltaDiscoveryResponseSchema, {
        systemVersionInfo: snapshot.version,
        typeUrl: type.typeUrl,
        nonce: "3",
        removedResources: ["gone"],
      });
      spliced.$unknown = resources.map((r) => deltaResourceField(type, r));
      const decoded = fromBinary(
        DeltaDiscoveryResponseSchema,
        toBinary(DeltaDiscoveryResponseSchema, spliced),
      );
      expect(decoded.resources.map((r) => r.name)).toEqual(resources.map((r) => r.name));
      expect(equals(DeltaDiscoveryResponseSchema, decoded, plain)).toBe(true);
    }
  });

  it("encodes each versioned resource once and reuses the bytes", () => {
    const { type, resources } = byType[0];
    expect(sotwResourceField(type, resources[0])).toBe(sotwResourceField(type, resources[0]));
    expect(deltaResourceField(type, resources[0])).toBe(deltaResourceField(type, resources[0]));
  });

  it("length-prefixes large resources with a multi-byte varint", () => {
    const big = buildSnapshot({
      ...meshResources(Array.from({ length: 400 }, (_, i) => `10.1.${i >> 8}.${i & 255}`)),
    });
    const type = RESOURCE_TYPES.find((t) => t.short === "eds")!;
    const r = [...big.resources.get(type.typeUrl)!.values()].find((x) =>
      toBinary(type.schema, x.resource).length > 300
    )!;
    const response = create(DiscoveryResponseSchema, { typeUrl: type.typeUrl });
    response.$unknown = [sotwResourceField(type, r)];
    const decoded = fromBinary(DiscoveryResponseSchema, toBinary(DiscoveryResponseSchema, response));
    expect(decoded.resources[0].value).toEqual(toBinary(type.schema, r.resource));
  });

  it("uses raw fields only for binary codecs", () => {
    expect(isBinaryCodec("application/grpc")).toBe(true);
    expect(isBinaryCodec("application/grpc+proto")).toBe(true);
    expect(isBinaryCodec("application/connect+proto")).toBe(true);
    expect(isBinaryCodec("application/grpc-web+proto")).toBe(true);
    expect(isBinaryCodec("application/connect+json")).toBe(false);
    expect(isBinaryCodec("application/json")).toBe(false);
  });
});
