// Small builders for the protobuf pieces every translator needs: durations, ADS config sources, addresses, Any.
import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { type Any, anyPack, type Duration, DurationSchema } from "@bufbuild/protobuf/wkt";
import { type Address, AddressSchema } from "../../gen/envoy/config/core/v3/address_pb.ts";
import {
  ApiVersion,
  type ConfigSource,
  ConfigSourceSchema,
} from "../../gen/envoy/config/core/v3/config_source_pb.ts";

/** The plain-object init shape of a message (what `create(schema, init)` takes, without the message itself). */
export type Init<Desc extends DescMessage> = Exclude<MessageInitShape<Desc>, MessageShape<Desc>>;

/** A Duration of `ms` milliseconds. */
export function durationOf(ms: number): Duration {
  const whole = Math.floor(ms / 1000);
  return create(DurationSchema, { seconds: BigInt(whole), nanos: Math.round((ms - whole * 1000) * 1e6) });
}

/** `{ ads: {}, resource_api_version: V3 }`: fetch the resource over the same ADS stream. */
export function adsConfigSource(): ConfigSource {
  return create(ConfigSourceSchema, {
    configSourceSpecifier: { case: "ads", value: {} },
    resourceApiVersion: ApiVersion.V3,
  });
}

export function socketAddress(address: string, port: number): Address {
  return create(AddressSchema, {
    address: { case: "socketAddress", value: { address, portSpecifier: { case: "portValue", value: port } } },
  });
}

/** Packs a message built from `init` into an Any. */
export function packed<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): Any {
  return anyPack(schema, create(schema, init));
}
