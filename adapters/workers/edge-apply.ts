// Applies a pulled EdgeConfig through the proxy's own xDS handlers, type by type in CDS, EDS, LDS, RDS order.
import type { Any } from "@bufbuild/protobuf/wkt";
import type { XdsTypeHandler } from "../../proxy/xds/ads-client.ts";
import { XDS_TYPES } from "../../proxy/xds/xds-handlers.ts";
import { WeftError } from "../../proxy/errors.ts";

/** Clusters warm before listeners, listeners before their routes: the order ADS subscribes in. */
const ORDER = [XDS_TYPES.cluster, XDS_TYPES.endpoint, XDS_TYPES.listener, XDS_TYPES.route];

/** Secrets (SDS) serve downstream/upstream TLS a Worker cannot use: Cloudflare terminates TLS at the edge. */
const IGNORED = new Set(["type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"]);

/**
 * State of the world per type: a type with no resources in the set is applied empty (its resources go away).
 * A handler that throws stops the walk (like a NACK): types already applied keep the new version, the rest
 * keep what they had.
 */
export async function applyEdgeResources(
  handlers: readonly XdsTypeHandler[],
  resources: readonly Any[],
  version: string,
): Promise<void> {
  const byType = new Map<string, Any[]>(ORDER.map((url) => [url, []]));
  for (const [i, any] of resources.entries()) {
    const list = byType.get(any.typeUrl);
    if (list) list.push(any);
    else if (!IGNORED.has(any.typeUrl)) {
      throw new WeftError("config", `resources[${i}]: unexpected resource type ${any.typeUrl}`);
    }
  }
  for (const url of ORDER) {
    const handler = handlers.find((h) => h.typeUrl === url);
    if (!handler) throw new WeftError("internal", `no handler for ${url}`);
    await handler.apply(byType.get(url)!, version);
  }
}
