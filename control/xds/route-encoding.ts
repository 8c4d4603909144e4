// RouteConfigurations encoded from their virtual hosts' cached encodings: proxy classes share most virtual hosts.
//
// A sidecar's RouteConfiguration holds a virtual host per visible service (1,000 at the benchmark's scale,
// ~480 KB), and each proxy class (namespace) has its own, since a service's short names are only valid in its
// own namespace. Translation shares the virtual host messages that do not depend on the class (routes.ts), so
// each is encoded once here and spliced into every RouteConfiguration that holds it.
import { create, type DescMessage, type Message, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { type VirtualHost, VirtualHostSchema } from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import {
  type RouteConfiguration,
  RouteConfigurationSchema,
} from "../../gen/envoy/config/route/v3/route_pb.ts";
import { concatBytes } from "../../proxy/runtime/bytes.ts";

/** RouteConfiguration.virtual_hosts is field 2. */
const VIRTUAL_HOSTS_FIELD = 2;

/** Each virtual host as its encoded `virtual_hosts` field (tag, length, message). */
const fields = new WeakMap<VirtualHost, Uint8Array>();

function fieldOf(vh: VirtualHost): Uint8Array {
  let field = fields.get(vh);
  if (field === undefined) {
    const writer = new BinaryWriter();
    writer.tag(VIRTUAL_HOSTS_FIELD, 2).bytes(toBinary(VirtualHostSchema, vh));
    fields.set(vh, field = writer.finish());
  }
  return field;
}

/**
 * The same bytes as `toBinary(RouteConfigurationSchema, rc)`: protobuf-es writes fields in number order (then
 * unknown ones), so the name (1), the virtual hosts (2) and everything else (3 on) are encoded apart and joined.
 */
export function encodeRouteConfiguration(rc: RouteConfiguration): Uint8Array {
  if (rc.virtualHosts.length < 2) return toBinary(RouteConfigurationSchema, rc);
  const name = toBinary(RouteConfigurationSchema, create(RouteConfigurationSchema, { name: rc.name }));
  const rest = toBinary(RouteConfigurationSchema, { ...rc, name: "", virtualHosts: [] });
  return concatBytes([name, ...rc.virtualHosts.map(fieldOf), rest]);
}

/** A resource message's binary encoding (RouteConfigurations from their virtual hosts' cached ones). */
export function encodeResource(schema: DescMessage, message: Message): Uint8Array {
  return schema.typeName === RouteConfigurationSchema.typeName
    ? encodeRouteConfiguration(message as RouteConfiguration)
    : toBinary(schema, message);
}
