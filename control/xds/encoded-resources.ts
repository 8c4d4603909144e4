// Resources encoded once for binary ADS responses: spliced into every response that carries them, byte for byte.
//
// A push sends the same resource to many proxies (and SotW resends every resource of a type on each change).
// Encoding a response message re-encodes each resource's name, version, type URL and Any wrapper, and copies
// its bytes once per nesting level. Instead, each versioned resource is encoded once — as the `google.protobuf.Any`
// of a DiscoveryResponse and as the `Resource` of a DeltaDiscoveryResponse — and the response carries those
// bytes as raw fields (protobuf-es writes a message's `$unknown` fields verbatim after its known ones; field
// order does not matter on the wire and repeated elements keep their order). Only for binary codecs: the JSON
// codec ignores raw fields, so JSON responses keep their resources as messages.
import { create, toBinary } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { ResourceSchema } from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import { packResource, type ResourceType } from "./resource-types.ts";
import type { VersionedResource } from "./snapshot.ts";

/** A length-delimited raw field for a message's `$unknown` list. */
export interface RawField {
  readonly no: number;
  readonly wireType: WireType;
  readonly data: Uint8Array;
}

/** DiscoveryResponse.resources and DeltaDiscoveryResponse.resources are both field 2. */
const RESOURCES_FIELD = 2;

const anyFields = new WeakMap<VersionedResource, RawField>();
const deltaFields = new WeakMap<VersionedResource, RawField>();
/** The message's own encoding, made when its version was hashed: wrapped as is instead of encoded again. */
const messageBytes = new WeakMap<VersionedResource, Uint8Array>();

/** Records the resource message's binary encoding (snapshot-build.ts hashes it for the version). */
export function recordEncoding(r: VersionedResource, bytes: Uint8Array): void {
  messageBytes.set(r, bytes);
}

function lengthDelimited(bytes: Uint8Array): RawField {
  let len = bytes.length;
  const prefix: number[] = [];
  while (len > 0x7f) {
    prefix.push((len & 0x7f) | 0x80);
    len >>>= 7;
  }
  prefix.push(len);
  const data = new Uint8Array(prefix.length + bytes.length);
  data.set(prefix, 0);
  data.set(bytes, prefix.length);
  return { no: RESOURCES_FIELD, wireType: WireType.LengthDelimited, data };
}

/** The resource as an encoded `google.protobuf.Any`, from the recorded message bytes when there are any. */
function encodeAny(type: ResourceType, r: VersionedResource): Uint8Array {
  const value = messageBytes.get(r);
  if (value === undefined) return toBinary(AnySchema, packResource(type, r));
  // The Any holds them now; the resource's own copy is not needed any more.
  messageBytes.delete(r);
  return toBinary(AnySchema, create(AnySchema, { typeUrl: type.typeUrl, value }));
}

/** The resource as an encoded `resources` entry of a SotW DiscoveryResponse. */
export function sotwResourceField(type: ResourceType, r: VersionedResource): RawField {
  let field = anyFields.get(r);
  if (field === undefined) {
    field = lengthDelimited(encodeAny(type, r));
    anyFields.set(r, field);
  }
  return field;
}

/** The resource as an encoded `resources` entry (name, version, Any) of a DeltaDiscoveryResponse. */
export function deltaResourceField(type: ResourceType, r: VersionedResource): RawField {
  let field = deltaFields.get(r);
  if (field === undefined) {
    // Resource.resource is field 2 as well: the SotW entry (length-prefixed Any) goes in as it is.
    const resource = create(ResourceSchema, { name: r.name, version: r.version });
    resource.$unknown = [sotwResourceField(type, r)];
    field = lengthDelimited(toBinary(ResourceSchema, resource));
    deltaFields.set(r, field);
  }
  return field;
}

/** Whether a request's content type uses a binary codec (gRPC, gRPC-web and Connect, all "+proto" or bare). */
export function isBinaryCodec(contentType: string | null): boolean {
  return contentType === null || !/json/i.test(contentType);
}
