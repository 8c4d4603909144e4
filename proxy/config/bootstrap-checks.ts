// Bootstrap checks beyond the field table: required parts, unique names and addresses, filter order, references.
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Any } from "@bufbuild/protobuf/wkt";
import type { Bootstrap } from "../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import type { Cluster } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { Cluster_DiscoveryType } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import type { TransportSocket } from "../../gen/envoy/config/core/v3/base_pb.ts";
import type { FilterChain } from "../../gen/envoy/config/listener/v3/listener_components_pb.ts";
import type { Listener } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { HttpConnectionManager } from "../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import { HttpConnectionManagerSchema } from "../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import { TcpProxySchema } from "../../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.ts";
import {
  DownstreamTlsContextSchema,
  UpstreamTlsContextSchema,
} from "../../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.ts";
import { fieldIssue as issue } from "./field-path.ts";
import type { FieldIssue, PathSegment } from "./field-path.ts";
import { checkClusterRef, checkRouteConfiguration } from "./route-checks.ts";
import type { ClusterRefs } from "./route-checks.ts";

const TYPE_URL = "type.googleapis.com/";
const UPSTREAM_HTTP = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
const ROUTER = "envoy.extensions.filters.http.router.v3.Router";
const TERMINAL_NETWORK_FILTERS: ReadonlySet<string> = new Set([
  HttpConnectionManagerSchema.typeName,
  TcpProxySchema.typeName,
]);
/** Filters Envoy still finds by name alone, without a typed_config. */
const NAME_ONLY_LISTENER_FILTERS = new Set([
  "envoy.filters.listener.tls_inspector",
  "envoy.filters.listener.http_inspector",
]);
const NAME_ONLY_HTTP_FILTERS = new Set(["envoy.filters.http.router"]);
const PLAINTEXT_SOCKETS = new Set(["envoy.transport_sockets.raw_buffer", "raw_buffer"]);

/** Every issue in the bootstrap's structure and references (fields themselves are checked by the table). */
export function checkBootstrapReferences(bootstrap: Bootstrap): FieldIssue[] {
  const out: FieldIssue[] = [];
  const sr = bootstrap.staticResources;
  const names = new Set<string>();
  (sr?.clusters ?? []).forEach((c, i) => checkCluster(c, ["static_resources", "clusters", i], names, out));
  const refs: ClusterRefs = { names, dynamic: bootstrap.dynamicResources?.cdsConfig !== undefined };
  const listenerNames = new Map<string, number>();
  const addresses = new Map<string, number>();
  (sr?.listeners ?? []).forEach((l, i) => {
    const at = ["static_resources", "listeners", i];
    if (l.name !== "") {
      const first = listenerNames.get(l.name);
      if (first !== undefined) {
        out.push(
          issue([...at, "name"], `duplicate listener name "${l.name}" (also listeners[${first}])`, "value"),
        );
      } else listenerNames.set(l.name, i);
    }
    const addr = listenerAddress(l);
    if (addr === undefined) {
      out.push(
        issue([...at, "address"], "a listener needs an address: socket_address { address, port_value }"),
      );
    } else if (addr !== "") {
      const first = addresses.get(addr);
      if (first !== undefined) {
        out.push(issue([...at, "address"], `${addr} is already used by listeners[${first}]`));
      } else addresses.set(addr, i);
    }
    checkListener(l, at, refs, out);
  });
  return out;
}

/** `host:port` of a listener, "" when not comparable, undefined when missing. */
function listenerAddress(l: Listener): string | undefined {
  const a = l.address?.address;
  if (a?.case !== "socketAddress") return a?.case === undefined ? undefined : "";
  const port = a.value.portSpecifier.case === "portValue" ? a.value.portSpecifier.value : 0;
  return port === 0 ? "" : `${a.value.address}:${port}`;
}

function checkListener(l: Listener, at: PathSegment[], refs: ClusterRefs, out: FieldIssue[]) {
  if (l.address?.address.case === "socketAddress" && l.address.address.value.address === "") {
    out.push(
      issue([...at, "address", "socket_address", "address"], "an IP address is required, e.g. 0.0.0.0"),
    );
  }
  if (l.filterChains.length === 0 && l.defaultFilterChain === undefined) {
    out.push(
      issue(
        [...at, "filter_chains"],
        "a listener needs at least one filter chain (or a default_filter_chain)",
      ),
    );
  }
  l.filterChains.forEach((fc, i) => checkFilterChain(fc, [...at, "filter_chains", i], refs, out));
  if (l.defaultFilterChain) {
    checkFilterChain(l.defaultFilterChain, [...at, "default_filter_chain"], refs, out);
  }
  l.listenerFilters.forEach((lf, i) => {
    if (lf.configType.case === undefined && !NAME_ONLY_LISTENER_FILTERS.has(lf.name)) {
      out.push(
        issue([...at, "listener_filters", i], `listener filter "${lf.name}" needs a typed_config`, "value"),
      );
    }
  });
}

function checkFilterChain(fc: FilterChain, at: PathSegment[], refs: ClusterRefs, out: FieldIssue[]): void {
  if (fc.filters.length === 0) {
    out.push(
      issue(
        [...at, "filters"],
        "a filter chain needs a network filter: http_connection_manager or tcp_proxy",
      ),
    );
  }
  fc.filters.forEach((f, i) => {
    const fp = [...at, "filters", i];
    if (f.configType.case === undefined) {
      out.push(
        issue(
          fp,
          `filter "${f.name}" needs a typed_config, e.g. @type: ${TYPE_URL}${HttpConnectionManagerSchema.typeName}`,
          "value",
        ),
      );
      return;
    }
    if (f.configType.case !== "typedConfig") return; // config_discovery: rejected by the field table
    const typed = f.configType.value;
    const typeName = typeNameOf(typed);
    if (TERMINAL_NETWORK_FILTERS.has(typeName) && i < fc.filters.length - 1) {
      out.push(issue(fp, `${typeName} is a terminal filter: it must be the last in filters`, "value"));
    }
    const tp = [...fp, "typed_config"];
    const hcm = unpack(typed, HttpConnectionManagerSchema);
    if (hcm !== undefined) checkHttpConnectionManager(hcm, tp, refs, out);
    const tcp = unpack(typed, TcpProxySchema);
    if (tcp?.clusterSpecifier.case === "cluster") {
      checkClusterRef(tcp.clusterSpecifier.value, [...tp, "cluster"], refs, out);
    } else if (tcp?.clusterSpecifier.case === "weightedClusters") {
      tcp.clusterSpecifier.value.clusters.forEach((c, w) =>
        checkClusterRef(c.name, [...tp, "weighted_clusters", "clusters", w, "name"], refs, out)
      );
    } else if (tcp !== undefined) {
      out.push(issue(tp, "tcp_proxy needs cluster or weighted_clusters", "value"));
    }
  });
  if (fc.transportSocket) {
    checkTransportSocket(
      fc.transportSocket,
      [...at, "transport_socket"],
      DownstreamTlsContextSchema.typeName,
      out,
    );
    const tls = fc.transportSocket.configType.case === "typedConfig"
      ? unpack(fc.transportSocket.configType.value, DownstreamTlsContextSchema)
      : undefined;
    const tp = [...at, "transport_socket", "typed_config"];
    if (tls !== undefined && (tls.commonTlsContext?.tlsCertificates.length ?? 0) === 0) {
      out.push(
        issue([...tp, "common_tls_context"], "a DownstreamTlsContext needs tls_certificates", "value"),
      );
    }
    if (
      tls?.requireClientCertificate === true &&
      tls.commonTlsContext?.validationContextType.case !== "validationContext"
    ) {
      out.push(
        issue(
          [...tp, "require_client_certificate"],
          "requiring client certificates needs validation_context.trusted_ca",
        ),
      );
    }
  }
}

function checkHttpConnectionManager(
  hcm: HttpConnectionManager,
  at: PathSegment[],
  refs: ClusterRefs,
  out: FieldIssue[],
) {
  if (hcm.routeSpecifier.case === undefined) {
    out.push(issue(at, "route_config is required (RDS arrives with the control plane)", "value"));
  } else if (hcm.routeSpecifier.case === "routeConfig") {
    checkRouteConfiguration(hcm.routeSpecifier.value, [...at, "route_config"], refs, out);
  }
  const last = hcm.httpFilters.length - 1;
  hcm.httpFilters.forEach((f, i) => {
    const fp = [...at, "http_filters", i];
    const isRouter = f.configType.case === "typedConfig"
      ? typeNameOf(f.configType.value) === ROUTER
      : NAME_ONLY_HTTP_FILTERS.has(f.name);
    if (f.configType.case === undefined && !isRouter) {
      out.push(
        issue(fp, `HTTP filter "${f.name}" needs a typed_config (supported: ${TYPE_URL}${ROUTER})`, "value"),
      );
    } else if (isRouter && i < last) {
      out.push(issue(fp, "the router must be the last HTTP filter", "value"));
    }
  });
}

function checkCluster(c: Cluster, at: PathSegment[], names: Set<string>, out: FieldIssue[]): void {
  if (c.name === "") out.push(issue([...at, "name"], "a cluster needs a name"));
  else if (names.has(c.name)) out.push(issue([...at, "name"], `duplicate cluster name "${c.name}"`, "value"));
  else names.add(c.name);
  const endpoints = c.loadAssignment?.endpoints ?? [];
  let count = 0;
  endpoints.forEach((locality, l) => {
    locality.lbEndpoints.forEach((lb, e) => {
      count++;
      const ep = [...at, "load_assignment", "endpoints", l, "lb_endpoints", e];
      if (lb.hostIdentifier.case === "endpoint" && lb.hostIdentifier.value.address === undefined) {
        out.push(
          issue(
            [...ep, "endpoint"],
            "an endpoint needs an address: socket_address { address, port_value }",
            "value",
          ),
        );
      } else if (lb.hostIdentifier.case === undefined) {
        out.push(issue(ep, "an lb_endpoint needs an endpoint", "value"));
      }
    });
  });
  const type = c.clusterDiscoveryType.case === "type"
    ? c.clusterDiscoveryType.value
    : Cluster_DiscoveryType.STATIC;
  if (type === Cluster_DiscoveryType.LOGICAL_DNS && count !== 1) {
    out.push(
      issue([...at, "load_assignment"], `a LOGICAL_DNS cluster needs exactly one endpoint (found ${count})`),
    );
  }
  for (const key of Object.keys(c.typedExtensionProtocolOptions)) {
    if (key !== UPSTREAM_HTTP) {
      out.push(
        issue(
          [...at, "typed_extension_protocol_options", { key }],
          `unknown protocol options key "${key}" (supported: ${UPSTREAM_HTTP})`,
        ),
      );
    }
  }
  if (c.transportSocket) {
    checkTransportSocket(
      c.transportSocket,
      [...at, "transport_socket"],
      UpstreamTlsContextSchema.typeName,
      out,
    );
  }
}

function checkTransportSocket(
  ts: TransportSocket,
  at: PathSegment[],
  expected: string,
  out: FieldIssue[],
): void {
  if (ts.configType.case === undefined) {
    if (!PLAINTEXT_SOCKETS.has(ts.name)) {
      out.push(
        issue(
          at,
          `transport socket "${ts.name}" needs a typed_config (@type: ${TYPE_URL}${expected})`,
          "value",
        ),
      );
    }
    return;
  }
  const typeName = typeNameOf(ts.configType.value);
  if (typeName !== expected && typeName.startsWith("envoy.extensions.transport_sockets.tls.")) {
    out.push(
      issue([...at, "typed_config"], `${typeName} does not belong here: use ${TYPE_URL}${expected}`, "value"),
    );
  }
}

function typeNameOf(any: Any): string {
  return any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
}

function unpack<Desc extends DescMessage>(any: Any, schema: Desc): MessageShape<Desc> | undefined {
  try {
    return anyUnpack(any, schema);
  } catch {
    return undefined; // undecodable bytes are reported by the field walk
  }
}
