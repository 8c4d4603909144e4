// The protobuf type registry of config Weft understands: every typed_config extension and the xDS resource types.
import { createRegistry } from "@bufbuild/protobuf";
import type { Registry } from "@bufbuild/protobuf";
import { file_envoy_config_cluster_v3_cluster } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { file_envoy_config_endpoint_v3_endpoint } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import { file_envoy_config_listener_v3_listener } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import { file_envoy_config_route_v3_route } from "../../gen/envoy/config/route/v3/route_pb.ts";
import { file_envoy_extensions_filters_http_router_v3_router } from "../../gen/envoy/extensions/filters/http/router/v3/router_pb.ts";
import { file_envoy_extensions_filters_listener_http_inspector_v3_http_inspector } from "../../gen/envoy/extensions/filters/listener/http_inspector/v3/http_inspector_pb.ts";
import { file_envoy_extensions_filters_listener_tls_inspector_v3_tls_inspector } from "../../gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb.ts";
import { file_envoy_extensions_filters_network_http_connection_manager_v3_http_connection_manager } from "../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import { file_envoy_extensions_filters_network_tcp_proxy_v3_tcp_proxy } from "../../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.ts";
import { file_envoy_extensions_load_balancing_policies_least_request_v3_least_request } from "../../gen/envoy/extensions/load_balancing_policies/least_request/v3/least_request_pb.ts";
import { file_envoy_extensions_load_balancing_policies_maglev_v3_maglev } from "../../gen/envoy/extensions/load_balancing_policies/maglev/v3/maglev_pb.ts";
import { file_envoy_extensions_load_balancing_policies_random_v3_random } from "../../gen/envoy/extensions/load_balancing_policies/random/v3/random_pb.ts";
import { file_envoy_extensions_load_balancing_policies_ring_hash_v3_ring_hash } from "../../gen/envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash_pb.ts";
import { file_envoy_extensions_load_balancing_policies_round_robin_v3_round_robin } from "../../gen/envoy/extensions/load_balancing_policies/round_robin/v3/round_robin_pb.ts";
import { file_envoy_extensions_transport_sockets_tls_v3_secret } from "../../gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.ts";
import { file_envoy_extensions_transport_sockets_tls_v3_tls } from "../../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.ts";
import { file_envoy_extensions_upstreams_http_v3_http_protocol_options } from "../../gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.ts";

let shared: Registry | undefined;

/**
 * The registry that resolves `google.protobuf.Any` type URLs (typed_config, typed_extension_protocol_options,
 * xDS resources). Only the files listed here are known: an Any of any other type is rejected at load.
 * Adding an extension = adding its file here and its fields to supported-fields.ts.
 */
export function createConfigRegistry(): Registry {
  // A Registry is read-only: one per process, however many loaders, proxies and xDS handlers ask for it.
  return shared ??= createRegistry(
    // network filters
    file_envoy_extensions_filters_network_http_connection_manager_v3_http_connection_manager,
    file_envoy_extensions_filters_network_tcp_proxy_v3_tcp_proxy,
    // http filters
    file_envoy_extensions_filters_http_router_v3_router,
    // listener filters
    file_envoy_extensions_filters_listener_tls_inspector_v3_tls_inspector,
    file_envoy_extensions_filters_listener_http_inspector_v3_http_inspector,
    // transport sockets (DownstreamTlsContext, UpstreamTlsContext)
    file_envoy_extensions_transport_sockets_tls_v3_tls,
    // cluster typed_extension_protocol_options
    file_envoy_extensions_upstreams_http_v3_http_protocol_options,
    // cluster load_balancing_policy
    file_envoy_extensions_load_balancing_policies_round_robin_v3_round_robin,
    file_envoy_extensions_load_balancing_policies_least_request_v3_least_request,
    file_envoy_extensions_load_balancing_policies_random_v3_random,
    file_envoy_extensions_load_balancing_policies_ring_hash_v3_ring_hash,
    file_envoy_extensions_load_balancing_policies_maglev_v3_maglev,
    // xDS resource types: Listener, Cluster, RouteConfiguration, ClusterLoadAssignment, Secret
    file_envoy_config_listener_v3_listener,
    file_envoy_config_cluster_v3_cluster,
    file_envoy_config_route_v3_route,
    file_envoy_config_endpoint_v3_endpoint,
    file_envoy_extensions_transport_sockets_tls_v3_secret,
  );
}
