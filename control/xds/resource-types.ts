// The xDS resource types Weft serves: schema (for Any packing and hashing), short name, wildcard rule, push order.
import type { DescMessage, Message } from "@bufbuild/protobuf";
import { type Any, anyPack } from "@bufbuild/protobuf/wkt";
import { ClusterSchema } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { ClusterLoadAssignmentSchema } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import { ListenerSchema } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import { RouteConfigurationSchema } from "../../gen/envoy/config/route/v3/route_pb.ts";
import { SecretSchema } from "../../gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.ts";
import { TYPE_URLS, type TypeUrl, type VersionedResource } from "./snapshot.ts";

export interface ResourceType {
  readonly typeUrl: TypeUrl;
  readonly schema: DescMessage;
  /** Istio's metric label: lds, rds, cds, eds, sds. */
  readonly short: "lds" | "rds" | "cds" | "eds" | "sds";
  /** LDS and CDS: an empty first subscription means "everything"; RDS, EDS, SDS are always named. */
  readonly wildcard: boolean;
}

/** In push order (Istio's): clusters before their endpoints, listeners before their routes. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  { typeUrl: TYPE_URLS.cluster, schema: ClusterSchema, short: "cds", wildcard: true },
  { typeUrl: TYPE_URLS.endpoint, schema: ClusterLoadAssignmentSchema, short: "eds", wildcard: false },
  { typeUrl: TYPE_URLS.listener, schema: ListenerSchema, short: "lds", wildcard: true },
  { typeUrl: TYPE_URLS.route, schema: RouteConfigurationSchema, short: "rds", wildcard: false },
  { typeUrl: TYPE_URLS.secret, schema: SecretSchema, short: "sds", wildcard: false },
];

const byUrl = new Map<string, ResourceType>(RESOURCE_TYPES.map((t) => [t.typeUrl, t]));
const byTypeName = new Map<string, ResourceType>(RESOURCE_TYPES.map((t) => [t.schema.typeName, t]));

export function resourceType(typeUrl: string): ResourceType | undefined {
  return byUrl.get(typeUrl);
}

/** The resource type of a message, by its protobuf type name. */
export function resourceTypeOf(message: Message): ResourceType | undefined {
  return byTypeName.get(message.$typeName);
}

/** Short label for metrics; unknown types keep their URL's last segment. */
export function shortType(typeUrl: string): string {
  return byUrl.get(typeUrl)?.short ?? typeUrl.slice(typeUrl.lastIndexOf(".") + 1).toLowerCase();
}

const packed = new WeakMap<VersionedResource, Any>();

/** The resource as a google.protobuf.Any (cached per versioned resource: a push to many proxies packs once). */
export function packResource(type: ResourceType, resource: VersionedResource): Any {
  let any = packed.get(resource);
  if (!any) {
    any = anyPack(type.schema, resource.resource);
    packed.set(resource, any);
  }
  return any;
}
