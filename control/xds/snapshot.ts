// A snapshot: the xDS resources one proxy should see at one moment, by type URL and name, each with a version.
import type { Message } from "@bufbuild/protobuf";

export const TYPE_URLS = {
  listener: "type.googleapis.com/envoy.config.listener.v3.Listener",
  route: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
  cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
  endpoint: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
  secret: "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
} as const;
export type TypeUrl = (typeof TYPE_URLS)[keyof typeof TYPE_URLS];

export interface VersionedResource {
  readonly name: string;
  /** Content hash (or counter) of this resource: unchanged resources keep their version. */
  readonly version: string;
  readonly resource: Message;
}

export interface Snapshot {
  /** Version of the snapshot as a whole (SotW version_info). */
  readonly version: string;
  readonly resources: ReadonlyMap<string, /* type URL */ ReadonlyMap<string, /* name */ VersionedResource>>;
}
