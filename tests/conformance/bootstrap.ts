// Envoy bootstrap YAML builders for conformance cases (runtime-free strings; port_value 0 = ephemeral).

/** One HCM listener on 127.0.0.1:0 with `stat_prefix: conf` routing with the given route_config YAML. */
export function httpBootstrap(opts: { routes: string; clusters: string; hcmExtra?: string }): string {
  return `
static_resources:
  listeners:
    - name: conformance
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: conf
${indent(opts.hcmExtra ?? "", 16)}
                route_config:
${indent(opts.routes, 18)}
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
${indent(opts.clusters, 4)}
`;
}

/** A route_config with one catch-all virtual host holding `routes` (a YAML list). */
export function routeConfig(routes: string, vhostExtra = ""): string {
  return `name: local
virtual_hosts:
  - name: main
    domains: ["*"]
${indent(vhostExtra, 4)}
    routes:
${indent(routes, 6)}`;
}

/** A STATIC cluster (YAML list item) over loopback ports; `extra` is more cluster fields. */
export function staticCluster(name: string, ports: readonly number[], extra = ""): string {
  const endpoints = ports.map((p) =>
    `          - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${p} } } }`
  );
  return `- name: ${name}
  type: STATIC
  connect_timeout: 0.5s
${indent(extra, 2)}
  load_assignment:
    cluster_name: ${name}
    endpoints:
      - lb_endpoints:
${endpoints.join("\n")}
`;
}

export function indent(text: string, n: number): string {
  const pad = " ".repeat(n);
  return text.split("\n").map((l) => (l.trim() ? pad + l : l)).join("\n");
}
