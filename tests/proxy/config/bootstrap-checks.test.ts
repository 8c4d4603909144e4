// Structural and cross-reference checks of a bootstrap: names, addresses, filter order, cluster references, TLS.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../proxy/config/config-error.ts";
import { parseBootstrap } from "../../../proxy/config/load-bootstrap.ts";
import { createConfigRegistry } from "../../../proxy/config/registry.ts";

const registry = createConfigRegistry();
const T = "type.googleapis.com/envoy.extensions";
const HCM = `${T}.filters.network.http_connection_manager.v3.HttpConnectionManager`;
const TCP = `${T}.filters.network.tcp_proxy.v3.TcpProxy`;
const ROUTER = `${T}.filters.http.router.v3.Router`;
const DOWNSTREAM_TLS = `${T}.transport_sockets.tls.v3.DownstreamTlsContext`;
const UPSTREAM_TLS = `${T}.transport_sockets.tls.v3.UpstreamTlsContext`;

const addr = (port: number, address = "127.0.0.1") => ({ socket_address: { address, port_value: port } });
const cluster = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  load_assignment: {
    cluster_name: name,
    endpoints: [{ lb_endpoints: [{ endpoint: { address: addr(9000) } }] }],
  },
  ...extra,
});
const hcm = (routes: unknown[], extra: Record<string, unknown> = {}) => ({
  name: "envoy.filters.network.http_connection_manager",
  typed_config: {
    "@type": HCM,
    stat_prefix: "in",
    route_config: { virtual_hosts: [{ name: "vh", domains: ["*"], routes }] },
    http_filters: [{ name: "envoy.filters.http.router", typed_config: { "@type": ROUTER } }],
    ...extra,
  },
});
const listener = (name: string, port: number, filters: unknown[], extra: Record<string, unknown> = {}) => ({
  name,
  address: addr(port),
  filter_chains: [{ filters }],
  ...extra,
});

/** Paths and reasons of every issue in a bootstrap given as a JSON-able object ([] when it is valid). */
function issuesOf(bootstrap: Record<string, unknown>): string[] {
  try {
    parseBootstrap(JSON.stringify(bootstrap), "b.json", { registry });
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => `${i.path}: ${i.reason}`);
  }
}

const toA = [{ match: { prefix: "/" }, route: { cluster: "a" } }];

describe("bootstrap cross-references", () => {
  it("accepts a consistent bootstrap", () => {
    expect(
      issuesOf({
        static_resources: { listeners: [listener("l", 8080, [hcm(toA)])], clusters: [cluster("a")] },
      }),
    ).toEqual([]);
  });

  it("finds routes, weighted clusters and tcp_proxy naming undefined clusters", () => {
    const routes = [
      {
        match: { prefix: "/x" },
        route: { weighted_clusters: { clusters: [{ name: "a", weight: 1 }, { name: "b", weight: 1 }] } },
      },
      { match: { prefix: "/" }, route: { cluster: "c" } },
    ];
    const tcp = { name: "tcp", typed_config: { "@type": TCP, stat_prefix: "t", cluster: "d" } };
    expect(issuesOf({
      static_resources: {
        listeners: [listener("h", 1, [hcm(routes)]), listener("t", 2, [tcp])],
        clusters: [cluster("a")],
      },
    })).toEqual([
      'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].name: cluster "b" is not defined in static_resources.clusters (defined: a)',
      'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[1].route.cluster: cluster "c" is not defined in static_resources.clusters (defined: a)',
      'static_resources.listeners[1].filter_chains[0].filters[0].typed_config.cluster: cluster "d" is not defined in static_resources.clusters (defined: a)',
    ]);
  });

  it("skips the cluster check where the route configuration says validate_clusters: false", () => {
    const filter = hcm([{ match: { prefix: "/" }, route: { cluster: "later" } }]);
    (filter.typed_config.route_config as Record<string, unknown>).validate_clusters = false;
    expect(issuesOf({ static_resources: { listeners: [listener("l", 1, [filter])] } })).toEqual([]);
  });

  it("requires unique cluster, listener and virtual host names, addresses and domains", () => {
    const filter = hcm(toA);
    const rc = filter.typed_config.route_config as { virtual_hosts: unknown[] };
    rc.virtual_hosts.push({ name: "vh", domains: ["example.com", "*"], routes: toA });
    expect(
      issuesOf({
        static_resources: {
          listeners: [listener("l", 80, [filter]), listener("l", 80, [hcm(toA)])],
          clusters: [cluster("a"), cluster("a")],
        },
      }).sort(),
    ).toEqual([
      'static_resources.clusters[1].name: duplicate cluster name "a"',
      'static_resources.listeners[1].name: duplicate listener name "l" (also listeners[0])',
      "static_resources.listeners[1].address: 127.0.0.1:80 is already used by listeners[0]",
      'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[1].name: duplicate virtual host name "vh" (also virtual_hosts[0])',
      'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[1].domains[1]: domain "*" is already used by virtual_hosts[0]',
    ].sort());
  });

  it("requires a listener address, a filter chain, a network filter with typed_config, and filter order", () => {
    expect(
      issuesOf({
        static_resources: {
          listeners: [
            { name: "no-address", filter_chains: [{ filters: [hcm(toA)] }] },
            { name: "no-chains", address: addr(2) },
            listener("empty-chain", 3, []),
            listener("no-config", 4, [{ name: "envoy.filters.network.http_connection_manager" }]),
            listener("order", 5, [hcm(toA), { name: "t", typed_config: { "@type": TCP, cluster: "a" } }]),
          ],
          clusters: [cluster("a")],
        },
      }).map((i) => i.replace(/: .*/, "")),
    ).toEqual([
      "static_resources.listeners[0].address",
      "static_resources.listeners[1].filter_chains",
      "static_resources.listeners[2].filter_chains[0].filters",
      "static_resources.listeners[3].filter_chains[0].filters[0]",
      "static_resources.listeners[4].filter_chains[0].filters[0]",
    ]);
  });

  it("requires route_config, the router last, and routes with a match and an action", () => {
    const noRoutes = hcm([{ match: { prefix: "/" } }, { route: { cluster: "a" } }]);
    const filters = noRoutes.typed_config.http_filters as unknown[];
    filters.push({ name: "envoy.filters.http.router" });
    const noRouteConfig = hcm(toA);
    delete (noRouteConfig.typed_config as Record<string, unknown>).route_config;
    expect(issuesOf({
      static_resources: {
        listeners: [listener("a", 1, [noRoutes]), listener("b", 2, [noRouteConfig])],
        clusters: [cluster("a")],
      },
    })).toEqual([
      "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0]: a route needs an action: route, redirect or direct_response",
      'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[1].match: a route needs a match, e.g. prefix: "/"',
      "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0]: the router must be the last HTTP filter",
      "static_resources.listeners[1].filter_chains[0].filters[0].typed_config: route_config is required (RDS arrives with the control plane)",
    ]);
  });

  it("accepts name-only router and inspector filters but not other name-only filters", () => {
    const filter = hcm(toA, { http_filters: [{ name: "envoy.filters.http.router" }] });
    const ok = listener("l", 1, [filter], {
      listener_filters: [{ name: "envoy.filters.listener.tls_inspector" }],
    });
    expect(issuesOf({ static_resources: { listeners: [ok], clusters: [cluster("a")] } })).toEqual([]);
    const bad = hcm(toA, {
      http_filters: [{ name: "envoy.filters.http.cors" }, { name: "envoy.filters.http.router" }],
    });
    expect(issuesOf({ static_resources: { listeners: [listener("l", 1, [bad])], clusters: [cluster("a")] } }))
      .toEqual([
        `static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0]: HTTP filter "envoy.filters.http.cors" needs a typed_config (supported: ${ROUTER})`,
      ]);
  });

  it("checks clusters: LOGICAL_DNS has one endpoint, endpoints have addresses, protocol options keys", () => {
    const two = cluster("dns", { type: "LOGICAL_DNS" });
    (two.load_assignment.endpoints[0].lb_endpoints as unknown[]).push({
      endpoint: { address: addr(2, "b.example") },
    });
    const noAddress = { name: "na", load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: {} }] }] } };
    const badKey = cluster("k", {
      typed_extension_protocol_options: {
        "envoy.http_options": {
          "@type": `${T}.upstreams.http.v3.HttpProtocolOptions`,
          explicit_http_config: { http2_protocol_options: {} },
        },
      },
    });
    expect(issuesOf({ static_resources: { clusters: [two, noAddress, badKey] } })).toEqual([
      "static_resources.clusters[0].load_assignment: a LOGICAL_DNS cluster needs exactly one endpoint (found 2)",
      "static_resources.clusters[1].load_assignment.endpoints[0].lb_endpoints[0].endpoint: an endpoint needs an address: socket_address { address, port_value }",
      'static_resources.clusters[2].typed_extension_protocol_options["envoy.http_options"]: unknown protocol options key "envoy.http_options" (supported: envoy.extensions.upstreams.http.v3.HttpProtocolOptions)',
    ]);
  });

  it("checks TLS transport sockets: right context per side, certificates, client-certificate trust", () => {
    const cert = { certificate_chain: { inline_string: "CERT" }, private_key: { inline_string: "KEY" } };
    const wrongSide = listener("a", 1, [hcm(toA)]);
    (wrongSide.filter_chains[0] as Record<string, unknown>).transport_socket = {
      name: "tls",
      typed_config: { "@type": UPSTREAM_TLS },
    };
    const noCerts = listener("b", 2, [hcm(toA)]);
    (noCerts.filter_chains[0] as Record<string, unknown>).transport_socket = {
      name: "tls",
      typed_config: { "@type": DOWNSTREAM_TLS, require_client_certificate: true, common_tls_context: {} },
    };
    const good = listener("c", 3, [hcm(toA)]);
    (good.filter_chains[0] as Record<string, unknown>).transport_socket = {
      name: "tls",
      typed_config: {
        "@type": DOWNSTREAM_TLS,
        common_tls_context: { tls_certificates: [cert], alpn_protocols: ["h2", "http/1.1"] },
      },
    };
    const upstream = cluster("a", {
      transport_socket: { name: "tls", typed_config: { "@type": UPSTREAM_TLS, sni: "a.example" } },
    });
    expect(issuesOf({ static_resources: { listeners: [wrongSide, noCerts, good], clusters: [upstream] } }))
      .toEqual([
        `static_resources.listeners[0].filter_chains[0].transport_socket.typed_config: envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext does not belong here: use ${DOWNSTREAM_TLS}`,
        // in text order: require_client_certificate is written before common_tls_context
        "static_resources.listeners[1].filter_chains[0].transport_socket.typed_config.require_client_certificate: requiring client certificates needs validation_context.trusted_ca",
        "static_resources.listeners[1].filter_chains[0].transport_socket.typed_config.common_tls_context: a DownstreamTlsContext needs tls_certificates",
      ]);
  });
});
