// RouteConfigurations encoded from their virtual hosts' (and routes') cached encodings: proxy classes share most.
//
// A sidecar's RouteConfiguration holds a virtual host per visible service (1,000 at the benchmark's scale,
// ~480 KB), and each proxy class (namespace) has its own, since a service's short names are only valid in its
// own namespace. Translation shares the virtual host messages that do not depend on the class (routes.ts), so
// each is encoded once here and spliced into every RouteConfiguration that holds it.
import { create, type DescMessage, type Message, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  type Route,
  RouteSchema,
  type VirtualHost,
  VirtualHostSchema,
} from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import {
  type RouteConfiguration,
  RouteConfigurationSchema,
} from "../../gen/envoy/config/route/v3/route_pb.ts";
import { concatBytes } from "../../proxy/runtime/bytes.ts";

/** RouteConfiguration.virtual_hosts is field 2; VirtualHost.routes is field 3. */
const VIRTUAL_HOSTS_FIELD = 2;
const ROUTES_FIELD = 3;

/** A message's encoding as a length-delimited field `no` (tag, length, message), cached per message object. */
function fieldCache<T extends Message>(
  no: number,
  encode: (message: T) => Uint8Array,
): (message: T) => Uint8Array {
  const fields = new WeakMap<T, Uint8Array>();
  return (message) => {
    let field = fields.get(message);
    if (field === undefined) {
      const writer = new BinaryWriter();
      writer.tag(no, WireType.LengthDelimited).bytes(encode(message));
      fields.set(message, field = writer.finish());
    }
    return field;
  };
}

/** Each route as its encoded `routes` field: the variants of a virtual host that differ in domains share them. */
const routeFieldOf = fieldCache<Route>(ROUTES_FIELD, (route) => toBinary(RouteSchema, route));

/**
 * The same bytes as `toBinary(VirtualHostSchema, vh)`: name (1) and domains (2), the routes (3) from their cached
 * encodings, then everything else, in protobuf-es's order (see encodeRouteConfiguration).
 */
export function encodeVirtualHost(vh: VirtualHost): Uint8Array {
  if (vh.routes.length === 0) return toBinary(VirtualHostSchema, vh);
  const head = toBinary(VirtualHostSchema, create(VirtualHostSchema, { name: vh.name, domains: vh.domains }));
  const rest = toBinary(VirtualHostSchema, { ...vh, name: "", domains: [], routes: [] });
  return concatBytes([head, ...vh.routes.map(routeFieldOf), rest]);
}

/** Each virtual host as its encoded `virtual_hosts` field. */
const fieldOf = fieldCache<VirtualHost>(VIRTUAL_HOSTS_FIELD, encodeVirtualHost);

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
