// The supported subset of Envoy's config, as data: per message type, the fields Weft implements and why others are not.

/**
 * What Weft does with one message type. Field lists are proto field names separated by spaces or newlines, so
 * supporting a new field is adding its name. A set field that is in none of the lists is rejected.
 */
export interface MessageSupport {
  /** Fields Weft implements. Nested messages are checked against their own entry. */
  readonly supported: string;
  /** Fields accepted without effect (informational: metadata, access logs). Not walked into. */
  readonly ignored?: string;
  /** Notable unsupported fields, with the reason and what to do instead. */
  readonly unsupported?: Readonly<Record<string, string>>;
  /** For `google.protobuf.Any` fields (single, list or map values): the message types accepted there. */
  readonly anyTypes?: Readonly<Record<string, string>>;
  /** For enum (by value name) or integer fields: the values Weft implements. */
  readonly values?: Readonly<Record<string, string>>;
}

const HCM = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const TCP_PROXY = "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";
const ROUTER = "envoy.extensions.filters.http.router.v3.Router";
const TLS_INSPECTOR = "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector";
const HTTP_INSPECTOR = "envoy.extensions.filters.listener.http_inspector.v3.HttpInspector";
const TLS = "envoy.extensions.transport_sockets.tls.v3";
const UPSTREAM_HTTP = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
const LB = "envoy.extensions.load_balancing_policies";
const LB_POLICIES =
  `${LB}.round_robin.v3.RoundRobin ${LB}.least_request.v3.LeastRequest ${LB}.random.v3.Random
  ${LB}.ring_hash.v3.RingHash ${LB}.maglev.v3.Maglev`;
const HEADER_MUTATIONS = `request_headers_to_add request_headers_to_remove
  response_headers_to_add response_headers_to_remove`;

const UPSTREAM_OPTIONS =
  `deprecated in Envoy; set it in typed_extension_protocol_options["${UPSTREAM_HTTP}"]`;
const NO_PER_FILTER_CONFIG =
  "per-route filter config is not supported (the router is the only HTTP filter); remove it";
const NO_SDS = "SDS is not supported yet; put the certificate inline in tls_certificates";

/** The table, keyed by full message type name. Every message reachable through a supported field needs an entry. */
export const SUPPORTED_FIELDS: Readonly<Record<string, MessageSupport>> = {
  // ── bootstrap ──
  "envoy.config.bootstrap.v3.Bootstrap": {
    supported: "node static_resources dynamic_resources admin",
    unsupported: {
      layered_runtime: "runtime layers are not supported; remove it",
      stats_sinks: "stats sinks are not supported (stats are served by the admin endpoint); remove it",
      tracing: "tracing is not supported yet; remove it",
      overload_manager: "the overload manager is not supported; remove it",
    },
  },
  "envoy.config.bootstrap.v3.Bootstrap.DynamicResources": {
    supported: "ads_config lds_config cds_config",
    unsupported: {
      lds_resources_locator: "xdstp locators are not supported; use ads",
      cds_resources_locator: "xdstp locators are not supported; use ads",
    },
  },
  "envoy.config.core.v3.ApiConfigSource": {
    supported: "api_type transport_api_version grpc_services set_node_on_first_message_only",
    values: {
      api_type: "GRPC AGGREGATED_GRPC",
      transport_api_version: "V3",
    },
  },
  "envoy.config.core.v3.GrpcService": {
    supported: "envoy_grpc timeout",
    unsupported: { google_grpc: "use envoy_grpc with a cluster" },
  },
  "envoy.config.core.v3.GrpcService.EnvoyGrpc": {
    supported: "cluster_name",
    ignored: "authority retry_policy",
  },
  "envoy.extensions.filters.network.http_connection_manager.v3.Rds": {
    supported: "config_source route_config_name",
  },
  "envoy.config.bootstrap.v3.Bootstrap.StaticResources": {
    supported: "listeners clusters",
    unsupported: {
      secrets: "static secrets are not supported yet; put certificates inline in tls_certificates",
    },
  },
  "envoy.config.core.v3.Node": {
    supported: "id cluster metadata locality",
    ignored: "user_agent_name user_agent_version user_agent_build_version extensions client_features",
  },
  "envoy.config.core.v3.Locality": { supported: "region zone sub_zone" },
  "envoy.config.bootstrap.v3.Admin": {
    supported: "address",
    ignored: "access_log access_log_path profile_path",
  },
  // ── addresses ──
  "envoy.config.core.v3.Address": {
    supported: "socket_address",
    unsupported: {
      pipe: "Unix domain sockets are not supported; use socket_address",
      envoy_internal_address: "internal addresses are not supported; use socket_address",
    },
  },
  "envoy.config.core.v3.SocketAddress": {
    supported: "address port_value protocol ipv4_compat",
    values: { protocol: "TCP" },
    unsupported: {
      named_port: "named ports are not supported; use port_value",
      resolver_name: "custom resolvers are not supported; remove it",
    },
  },
  "envoy.config.core.v3.CidrRange": { supported: "address_prefix prefix_len" },
  // ── listeners ──
  "envoy.config.listener.v3.Listener": {
    supported:
      `name address filter_chains default_filter_chain listener_filters per_connection_buffer_limit_bytes
      stat_prefix drain_type`,
    ignored: "metadata access_log traffic_direction",
    unsupported: {
      filter_chain_matcher: "the matcher API is not supported; use filter_chains[].filter_chain_match",
      use_original_dst: "original-destination interception is not supported; listen on explicit ports",
      udp_listener_config: "UDP/QUIC listeners are not supported; remove it",
      api_listener: "API listeners are not supported; remove it",
      internal_listener: "internal listeners are not supported; remove it",
      additional_addresses: "additional addresses are not supported; declare one listener per address",
    },
  },
  "envoy.config.listener.v3.FilterChain": {
    supported: "filter_chain_match filters transport_socket name",
    ignored: "metadata",
    unsupported: { use_proxy_proto: "the PROXY protocol is not supported; remove it" },
  },
  "envoy.config.listener.v3.FilterChainMatch": {
    supported:
      `destination_port prefix_ranges address_suffix suffix_len direct_source_prefix_ranges source_type
      source_prefix_ranges source_ports server_names transport_protocol application_protocols`,
  },
  "envoy.config.listener.v3.Filter": {
    supported: "name typed_config",
    anyTypes: { typed_config: `${HCM} ${TCP_PROXY}` },
    unsupported: { config_discovery: "extension config discovery is not supported; inline typed_config" },
  },
  "envoy.config.listener.v3.ListenerFilter": {
    supported: "name typed_config",
    anyTypes: { typed_config: `${TLS_INSPECTOR} ${HTTP_INSPECTOR}` },
    unsupported: { config_discovery: "extension config discovery is not supported; inline typed_config" },
  },
  [TLS_INSPECTOR]: { supported: "" },
  [HTTP_INSPECTOR]: { supported: "" },
  // ── TLS ──
  "envoy.config.core.v3.TransportSocket": {
    supported: "name typed_config",
    anyTypes: { typed_config: `${TLS}.DownstreamTlsContext ${TLS}.UpstreamTlsContext` },
  },
  [`${TLS}.DownstreamTlsContext`]: { supported: "common_tls_context require_client_certificate" },
  [`${TLS}.UpstreamTlsContext`]: { supported: "common_tls_context sni" },
  [`${TLS}.CommonTlsContext`]: {
    supported: "tls_certificates alpn_protocols validation_context",
    unsupported: {
      tls_params: "TLS version and cipher settings are not supported; the runtime's defaults apply",
      tls_certificate_sds_secret_configs: NO_SDS,
      validation_context_sds_secret_config: "SDS is not supported yet; put trusted_ca in validation_context",
      combined_validation_context: "combined_validation_context is not supported; use validation_context",
    },
  },
  [`${TLS}.TlsCertificate`]: {
    supported: "certificate_chain private_key",
    unsupported: {
      pkcs12: "PKCS#12 is not supported; use PEM certificate_chain and private_key",
      password: "encrypted keys are not supported; use an unencrypted private_key",
    },
  },
  "envoy.config.core.v3.DataSource": {
    supported: "filename inline_string inline_bytes",
    unsupported: {
      environment_variable: "environment variables are not read; use inline_string or filename",
    },
  },
  [`${TLS}.CertificateValidationContext`]: {
    supported: "trusted_ca match_typed_subject_alt_names",
    unsupported: { match_subject_alt_names: "deprecated in Envoy; use match_typed_subject_alt_names" },
  },
  [`${TLS}.SubjectAltNameMatcher`]: {
    supported: "san_type matcher",
    values: { san_type: "DNS URI EMAIL IP_ADDRESS" },
  },
  // ── HTTP connection manager ──
  [HCM]: {
    supported:
      `codec_type stat_prefix route_config http_filters max_request_headers_kb common_http_protocol_options
      http_protocol_options http2_protocol_options stream_idle_timeout request_headers_timeout use_remote_address
      skip_xff_append
      generate_request_id preserve_external_request_id upgrade_configs server_name server_header_transformation
      normalize_path merge_slashes rds`,
    // drain_timeout: the drain time is the process's (weft proxy --drain-time-s).
    ignored: "access_log drain_timeout",
    values: {
      codec_type: "AUTO HTTP1 HTTP2",
      server_header_transformation: "OVERWRITE APPEND_IF_ABSENT PASS_THROUGH",
    },
    unsupported: {
      request_timeout: "request_timeout is not supported yet; use the route timeout",
      xff_num_trusted_hops: "trusted XFF hops are not supported; remove it",
      scoped_routes: "scoped routes are not supported; use route_config",
      tracing: "tracing is not supported yet; remove it",
      http3_protocol_options: "HTTP/3 is not supported; remove it",
    },
  },
  [`${HCM}.UpgradeConfig`]: {
    supported: "upgrade_type enabled",
    unsupported: { filters: "per-upgrade filter chains are not supported; remove filters" },
  },
  "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter": {
    supported: "name typed_config",
    anyTypes: { typed_config: ROUTER },
    unsupported: { config_discovery: "extension config discovery is not supported; inline typed_config" },
  },
  [ROUTER]: { supported: "" },
  "envoy.config.core.v3.HttpProtocolOptions": {
    supported: "idle_timeout max_headers_count headers_with_underscores_action",
    values: { headers_with_underscores_action: "ALLOW" },
    unsupported: { max_stream_duration: "max_stream_duration is not supported yet; use the route timeout" },
  },
  "envoy.config.core.v3.Http1ProtocolOptions": { supported: "" },
  "envoy.config.core.v3.Http2ProtocolOptions": {
    supported: "max_concurrent_streams initial_stream_window_size initial_connection_window_size",
  },
  // ── TCP proxy ──
  [TCP_PROXY]: {
    supported: "stat_prefix cluster weighted_clusters idle_timeout max_connect_attempts",
    ignored: "access_log",
    unsupported: { tunneling_config: "tunneling TCP over HTTP is not supported; remove it" },
  },
  [`${TCP_PROXY}.WeightedCluster`]: { supported: "clusters" },
  [`${TCP_PROXY}.WeightedCluster.ClusterWeight`]: { supported: "name weight" },
  // ── clusters ──
  "envoy.config.cluster.v3.Cluster": {
    supported: `name type eds_cluster_config connect_timeout lb_policy load_assignment ring_hash_lb_config
      maglev_lb_config least_request_lb_config round_robin_lb_config load_balancing_policy http2_protocol_options
      typed_extension_protocol_options transport_socket dns_lookup_family dns_refresh_rate circuit_breakers
      per_connection_buffer_limit_bytes`,
    ignored: "metadata alt_stat_name",
    values: {
      dns_lookup_family: "AUTO V4_ONLY V6_ONLY V4_PREFERRED ALL",
      type: "STATIC STRICT_DNS LOGICAL_DNS EDS",
      lb_policy: "ROUND_ROBIN LEAST_REQUEST RANDOM RING_HASH MAGLEV LOAD_BALANCING_POLICY_CONFIG",
    },
    anyTypes: { typed_extension_protocol_options: UPSTREAM_HTTP },
    unsupported: {
      cluster_type: "custom cluster types are not supported; use type STATIC, STRICT_DNS, LOGICAL_DNS or EDS",
      outlier_detection: "outlier detection is not supported yet; remove it",
      health_checks: "active health checking is not supported yet; remove it",
      common_lb_config: "common_lb_config is not supported; remove it",
      transport_socket_matches: "transport socket matching is not supported; use transport_socket",
      lb_subset_config: "subset load balancing is not supported; remove it",
      http_protocol_options: UPSTREAM_OPTIONS,
      common_http_protocol_options: UPSTREAM_OPTIONS,
      upstream_http_protocol_options: UPSTREAM_OPTIONS,
      protocol_selection:
        `deprecated in Envoy; use use_downstream_protocol_config in typed_extension_protocol_options["${UPSTREAM_HTTP}"]`,
      dns_resolvers: "custom DNS resolvers are not supported; the runtime's resolver is used",
      typed_dns_resolver_config: "custom DNS resolvers are not supported; the runtime's resolver is used",
    },
  },
  "envoy.config.cluster.v3.Cluster.EdsClusterConfig": { supported: "eds_config service_name" },
  "envoy.config.core.v3.ConfigSource": {
    supported: "ads resource_api_version initial_fetch_timeout",
    values: { resource_api_version: "V3" },
    unsupported: {
      path: "file-based discovery is not supported; use ads",
      path_config_source: "file-based discovery is not supported; use ads",
      api_config_source: "only ADS is supported; use ads",
    },
  },
  "envoy.config.core.v3.AggregatedConfigSource": { supported: "" },
  // hash_function only moves hosts on the ring; Weft always places them with MurmurHash3 (proxy/cluster/lb)
  "envoy.config.cluster.v3.Cluster.RingHashLbConfig": {
    supported: "minimum_ring_size maximum_ring_size hash_function",
  },
  "envoy.config.cluster.v3.Cluster.MaglevLbConfig": { supported: "table_size" },
  "envoy.config.cluster.v3.Cluster.LeastRequestLbConfig": { supported: "choice_count active_request_bias" },
  "envoy.config.core.v3.RuntimeDouble": { supported: "default_value", ignored: "runtime_key" },
  "envoy.config.cluster.v3.Cluster.RoundRobinLbConfig": { supported: "" },
  "envoy.config.cluster.v3.LoadBalancingPolicy": { supported: "policies" },
  "envoy.config.cluster.v3.LoadBalancingPolicy.Policy": { supported: "typed_extension_config" },
  // Reached only through LoadBalancingPolicy.Policy today: if another supported field uses it, widen anyTypes.
  "envoy.config.core.v3.TypedExtensionConfig": {
    supported: "name typed_config",
    anyTypes: { typed_config: LB_POLICIES },
  },
  [`${LB}.round_robin.v3.RoundRobin`]: { supported: "" },
  [`${LB}.least_request.v3.LeastRequest`]: {
    supported: "choice_count active_request_bias selection_method",
    values: { selection_method: "N_CHOICES" },
  },
  [`${LB}.random.v3.Random`]: { supported: "" },
  [`${LB}.ring_hash.v3.RingHash`]: { supported: "hash_function minimum_ring_size maximum_ring_size" },
  [`${LB}.maglev.v3.Maglev`]: { supported: "table_size" },
  [UPSTREAM_HTTP]: {
    supported: "explicit_http_config use_downstream_protocol_config",
    unsupported: { auto_config: "ALPN-based protocol selection is not supported; use explicit_http_config" },
  },
  [`${UPSTREAM_HTTP}.ExplicitHttpConfig`]: { supported: "http_protocol_options http2_protocol_options" },
  [`${UPSTREAM_HTTP}.UseDownstreamHttpConfig`]: { supported: "http_protocol_options http2_protocol_options" },
  "envoy.config.cluster.v3.CircuitBreakers": { supported: "thresholds" },
  "envoy.config.cluster.v3.CircuitBreakers.Thresholds": {
    supported: "priority max_connections max_pending_requests max_requests max_retries",
    values: { priority: "DEFAULT" },
  },
  // ── endpoints ──
  "envoy.config.endpoint.v3.ClusterLoadAssignment": { supported: "cluster_name endpoints" },
  "envoy.config.endpoint.v3.LocalityLbEndpoints": {
    supported: "locality lb_endpoints load_balancing_weight priority",
    ignored: "metadata",
    values: { priority: "0" },
  },
  "envoy.config.endpoint.v3.LbEndpoint": {
    supported: "endpoint health_status load_balancing_weight",
    ignored: "metadata",
    unsupported: { endpoint_name: "named endpoints are not supported; inline the endpoint" },
  },
  "envoy.config.endpoint.v3.Endpoint": { supported: "address", ignored: "hostname" },
  // ── routes (proxy/route compiles these; router-side features such as mirroring and hedging are not in yet) ──
  "envoy.config.route.v3.RouteConfiguration": {
    supported: `name virtual_hosts validate_clusters ${HEADER_MUTATIONS} most_specific_header_mutations_wins
      max_direct_response_body_size_bytes ignore_port_in_host_matching ignore_path_parameters_in_path_matching`,
    ignored: "metadata",
    unsupported: { typed_per_filter_config: NO_PER_FILTER_CONFIG, vhds: "VHDS is not supported; remove it" },
  },
  "envoy.config.route.v3.VirtualHost": {
    supported: `name domains routes ${HEADER_MUTATIONS} require_tls retry_policy`,
    ignored: "metadata",
    unsupported: {
      typed_per_filter_config: NO_PER_FILTER_CONFIG,
      request_mirror_policies: "request mirroring is not supported yet; remove it",
      cors: "CORS is not supported yet; remove it",
    },
  },
  "envoy.config.route.v3.Route": {
    supported: `name match route redirect direct_response ${HEADER_MUTATIONS}`,
    ignored: "metadata stat_prefix",
    unsupported: { typed_per_filter_config: NO_PER_FILTER_CONFIG },
  },
  "envoy.config.route.v3.RouteMatch": {
    supported: `prefix path safe_regex path_separated_prefix case_sensitive headers query_parameters
      runtime_fraction grpc`,
  },
  "envoy.config.route.v3.RouteMatch.GrpcRouteMatchOptions": { supported: "" },
  "envoy.config.core.v3.RuntimeFractionalPercent": { supported: "default_value", ignored: "runtime_key" },
  "envoy.type.v3.FractionalPercent": { supported: "numerator denominator" },
  "envoy.config.route.v3.HeaderMatcher": {
    // exact_match … contains_match are deprecated in Envoy but still common, so they are honoured too
    supported:
      `name string_match present_match range_match invert_match treat_missing_header_as_empty exact_match
      safe_regex_match prefix_match suffix_match contains_match`,
  },
  "envoy.type.v3.Int64Range": { supported: "start end" },
  "envoy.config.route.v3.QueryParameterMatcher": { supported: "name string_match present_match" },
  "envoy.type.matcher.v3.StringMatcher": { supported: "exact prefix suffix safe_regex contains ignore_case" },
  "envoy.type.matcher.v3.RegexMatcher": { supported: "regex", ignored: "google_re2" },
  "envoy.type.matcher.v3.RegexMatchAndSubstitute": { supported: "pattern substitution" },
  "envoy.config.route.v3.RouteAction": {
    supported: `cluster cluster_header weighted_clusters prefix_rewrite regex_rewrite host_rewrite_literal
      host_rewrite_header host_rewrite_path_regex auto_host_rewrite timeout retry_policy hash_policy
      upgrade_configs cluster_not_found_response_code`,
    unsupported: {
      idle_timeout: "per-route idle timeouts are not supported yet; use timeout",
      request_mirror_policies: "request mirroring is not supported yet; remove it",
      max_stream_duration: "max_stream_duration is not supported yet; use timeout",
    },
  },
  "envoy.config.route.v3.WeightedCluster": { supported: "clusters total_weight header_name" },
  "envoy.config.route.v3.WeightedCluster.ClusterWeight": {
    supported: `name cluster_header weight host_rewrite_literal ${HEADER_MUTATIONS}`,
    unsupported: { typed_per_filter_config: NO_PER_FILTER_CONFIG },
  },
  "envoy.config.route.v3.RouteAction.UpgradeConfig": { supported: "upgrade_type enabled" },
  "envoy.config.route.v3.RetryPolicy": {
    supported:
      `retry_on num_retries per_try_timeout retriable_status_codes retry_back_off retry_host_predicate
      host_selection_retry_max_attempts`,
  },
  // proxy/route/retry-policy.ts accepts only envoy.retry_host_predicates.previous_hosts (by name, no config)
  "envoy.config.route.v3.RetryPolicy.RetryHostPredicate": { supported: "name" },
  "envoy.config.route.v3.RetryPolicy.RetryBackOff": { supported: "base_interval max_interval" },
  "envoy.config.route.v3.RouteAction.HashPolicy": {
    supported: "header cookie connection_properties query_parameter terminal",
  },
  "envoy.config.route.v3.RouteAction.HashPolicy.Header": { supported: "header_name regex_rewrite" },
  "envoy.config.route.v3.RouteAction.HashPolicy.Cookie": {
    supported: "name",
    unsupported: {
      ttl: "generating hash cookies is not supported; the hash uses an existing cookie (remove ttl)",
      path: "generating hash cookies is not supported; the hash uses an existing cookie (remove path)",
    },
  },
  "envoy.config.route.v3.RouteAction.HashPolicy.ConnectionProperties": { supported: "source_ip" },
  "envoy.config.route.v3.RouteAction.HashPolicy.QueryParameter": { supported: "name" },
  "envoy.config.route.v3.RedirectAction": {
    supported:
      `https_redirect scheme_redirect host_redirect port_redirect path_redirect prefix_rewrite regex_rewrite
      response_code strip_query`,
  },
  "envoy.config.route.v3.DirectResponseAction": { supported: "status body" },
  "envoy.config.core.v3.HeaderValueOption": { supported: "header append append_action keep_empty_value" },
  "envoy.config.core.v3.HeaderValue": { supported: "key value raw_value" },
};
