// A realistic Envoy front-proxy bootstrap (YAML) for the config loader tests, and helpers to find lines in it.

export const FRONT_PROXY_YAML = `# Envoy front proxy: one HTTP listener, two upstream clusters.
node:
  id: front-proxy-1
  cluster: front-proxy
admin:
  address:
    socket_address: { address: 127.0.0.1, port_value: 9901 }
static_resources:
  listeners:
  - name: listener_http
    address:
      socket_address:
        address: 0.0.0.0
        port_value: 8080
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_http
          codec_type: AUTO
          stream_idle_timeout: 300s
          use_remote_address: true
          route_config:
            name: local_route
            virtual_hosts:
            - name: backend
              domains: ["*"]
              routes:
              - match: { prefix: "/api/" }
                route:
                  cluster: service_api
                  timeout: 5s
                  retry_policy: { retry_on: "5xx,connect-failure", num_retries: 2, per_try_timeout: 1s }
              - match:
                  prefix: "/"
                  headers:
                  - name: x-canary
                    string_match: { exact: "yes" }
                route: { cluster: service_web, prefix_rewrite: "/canary/" }
              - match: { prefix: "/" }
                route: { cluster: service_web }
                response_headers_to_add:
                - header: { key: x-proxy, value: weft }
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: service_api
    type: STATIC
    connect_timeout: 0.25s
    lb_policy: ROUND_ROBIN
    load_assignment:
      cluster_name: service_api
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: 10.0.0.11, port_value: 8000 }
        - endpoint:
            address:
              socket_address: { address: 10.0.0.12, port_value: 8000 }
          load_balancing_weight: 2
  - name: service_web
    type: STRICT_DNS
    connect_timeout: 1s
    dns_lookup_family: V4_ONLY
    lb_policy: LEAST_REQUEST
    circuit_breakers:
      thresholds:
      - max_connections: 512
        max_pending_requests: 256
    load_assignment:
      cluster_name: service_web
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: web.internal, port_value: 80 }
`;

/** 1-based line and column of the first occurrence of `needle` (after `after`, when given). */
export function positionOf(text: string, needle: string, after?: string): { line: number; column: number } {
  const start = after === undefined ? 0 : text.indexOf(after);
  if (start < 0) throw new Error(`fixture has no ${JSON.stringify(after)}`);
  const offset = text.indexOf(needle, start);
  if (offset < 0) throw new Error(`fixture has no ${JSON.stringify(needle)}`);
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
}

/** The fixture with one substring replaced (the substring must be present exactly once). */
export function withReplaced(find: string, replace: string, text = FRONT_PROXY_YAML): string {
  if (text.split(find).length !== 2) {
    throw new Error(`fixture must contain ${JSON.stringify(find)} exactly once`);
  }
  return text.replace(find, replace);
}
