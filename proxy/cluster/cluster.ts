// One upstream cluster: its hosts (static, EDS or DNS), load balancer, per-host connection pools and stats.
import { anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import {
  type Cluster,
  Cluster_DiscoveryType,
  Cluster_DnsLookupFamily,
} from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { HttpProtocolOptionsSchema } from "../../gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.ts";
import type { ClusterLoadAssignment } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import type { ClientTlsOptions, Connection, Runtime, TimerHandle } from "../runtime/types.ts";
import type { UpstreamPool } from "../http/types.ts";
import { createHost, type Host } from "./host.ts";
import type { LoadBalancer, LoadBalancerContext } from "./lb/types.ts";
import { createLoadBalancerPolicy } from "./lb/index.ts";
import { endpointsOf, type EndpointSpec } from "./endpoints.ts";
import { durationMs } from "../duration.ts";
import { compileUpstreamTls } from "../tls/tls-context.ts";
import { declareCounters, type StatsStore } from "../stats/stats-store.ts";
import { WeftError } from "../errors.ts";

export const CLUSTER_COUNTERS = [
  "upstream_rq_total",
  "upstream_rq_2xx",
  "upstream_rq_3xx",
  "upstream_rq_4xx",
  "upstream_rq_5xx",
  "upstream_rq_retry",
  "upstream_rq_retry_success",
  "upstream_rq_retry_overflow",
  "upstream_rq_timeout",
  "upstream_rq_per_try_timeout",
  "upstream_rq_pending_overflow",
  "upstream_cx_connect_fail",
  "upstream_cx_connect_timeout",
  "upstream_rq_rx_reset",
  "upstream_cx_total",
  "upstream_cx_none_healthy",
  "update_success",
  "update_failure",
] as const;
export type ClusterStats = ReturnType<typeof declareCounters<typeof CLUSTER_COUNTERS>>;

const HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

export interface UpstreamCluster {
  readonly name: string;
  readonly type: "STATIC" | "STRICT_DNS" | "LOGICAL_DNS" | "EDS";
  readonly stats: ClusterStats;
  readonly protocol: "http1" | "http2";
  readonly connectTimeoutMs: number;
  /** Circuit-breaker limits (default thresholds). */
  readonly maxRequests: number;
  readonly maxRetries: number;
  /** Requests in flight across all hosts. */
  activeRequests: number;
  activeRetries: number;
  hosts(): readonly Host[];
  pick(context: LoadBalancerContext): Host | undefined;
  pool(host: Host): UpstreamPool;
  connect(host: Host): Promise<Connection>;
  /** Replaces the endpoints (EDS pushes). */
  updateEndpoints(assignment: ClusterLoadAssignment): void;
  close(): Promise<void>;
}

export async function createCluster(
  config: Cluster,
  runtime: Runtime,
  store: StatsStore,
  field: string,
): Promise<UpstreamCluster> {
  const name = config.name;
  if (!name) throw new WeftError("config", `${field}.name: a cluster needs a name`);
  const discovery = config.clusterDiscoveryType;
  if (discovery.case !== "type" || discovery.value > Cluster_DiscoveryType.EDS) {
    throw new WeftError(
      "config",
      `${field}.type: only STATIC, STRICT_DNS, LOGICAL_DNS and EDS clusters are supported`,
    );
  }
  const type = (["STATIC", "STRICT_DNS", "LOGICAL_DNS", "EDS"] as const)[discovery.value as 0 | 1 | 2 | 3];
  const stats = declareCounters(store, `cluster.${name}.`, CLUSTER_COUNTERS);
  const membership = store.gauge(`cluster.${name}.membership_total`);
  const healthyGauge = store.gauge(`cluster.${name}.membership_healthy`);
  const { policy, options } = createLoadBalancerPolicy(config, field);
  const lbOptions = { ...options, random: runtime.random };
  const protocol = upstreamProtocol(config, field);
  const connectTimeoutMs = durationMs(config.connectTimeout, 5000);
  const tls: ClientTlsOptions | undefined = config.transportSocket?.configType.case === "typedConfig"
    ? await compileUpstreamTls(
      config.transportSocket.configType.value,
      runtime.readTextFile,
      `${field}.transport_socket`,
    )
    : undefined;
  const refusal = protocol === "http2" && !runtime.capabilities.upstreamHttp2
    ? "HTTP/2 to upstreams"
    : runtime.upstream.refuse?.({ protocol, tls });
  if (refusal) {
    throw new WeftError(
      "unsupported",
      `${field}: the ${runtime.capabilities.name} runtime cannot do ${refusal}; see docs/runtimes.md`,
    );
  }
  const thresholds = config.circuitBreakers?.thresholds[0];
  const pools = new Map<string, UpstreamPool>();
  let hosts: Host[] = [];
  let lb: LoadBalancer = policy.create(hosts, lbOptions);
  let refreshTimer: TimerHandle | undefined;
  let closed = false;

  const setHosts = (specs: readonly EndpointSpec[]) => {
    const previous = new Map(hosts.map((h) => [h.key, h]));
    hosts = specs.map((s) => {
      const old = previous.get(`${s.address}:${s.port}`);
      if (old && old.weight === Math.max(1, s.weight)) {
        old.healthy = s.healthy;
        return old;
      }
      const host = createHost(s.address, s.port, s.weight);
      host.healthy = s.healthy;
      return host;
    });
    const live = new Set(hosts.map((h) => h.key));
    for (const [key, pool] of pools) {
      if (!live.has(key)) {
        pools.delete(key);
        pool.close().catch(() => {});
      }
    }
    lb = policy.create(hosts, lbOptions);
    membership.value = hosts.length;
    healthyGauge.value = hosts.filter((h) => h.healthy).length;
  };

  const declared = endpointsOf(config.loadAssignment, `${field}.load_assignment`);
  if (type === "STRICT_DNS" || type === "LOGICAL_DNS") {
    const refreshMs = durationMs(config.dnsRefreshRate, 5000);
    const resolveAll = async () => {
      const resolved: EndpointSpec[] = [];
      for (const ep of declared) {
        const addresses = isIp(ep.address)
          ? [ep.address]
          : pickFamily(await runtime.dns.resolve(ep.address), config.dnsLookupFamily);
        const chosen = type === "LOGICAL_DNS" ? addresses.slice(0, 1) : addresses;
        for (const a of chosen) resolved.push({ ...ep, address: a });
      }
      return resolved;
    };
    const refresh = async () => {
      try {
        setHosts(await resolveAll());
        stats.update_success.value++;
      } catch (err) {
        stats.update_failure.value++;
        runtime.log(
          `cluster ${name}: DNS refresh failed, keeping ${hosts.length} hosts: ${(err as Error).message}`,
        );
      }
      if (!closed) refreshTimer = runtime.clock.setTimeout(refresh, refreshMs);
    };
    await refresh();
  } else {
    setHosts(declared);
  }

  return {
    name,
    type,
    stats,
    protocol,
    connectTimeoutMs,
    maxRequests: thresholds?.maxRequests ?? 1024,
    maxRetries: thresholds?.maxRetries ?? 3,
    activeRequests: 0,
    activeRetries: 0,
    hosts: () => hosts,
    pick: (context) => lb.pick(context),
    pool(host) {
      let pool = pools.get(host.key);
      if (!pool) {
        stats.upstream_cx_total.value++;
        pool = runtime.upstream.createPool({
          host: host.address,
          port: host.port,
          protocol,
          tls,
          connectTimeoutMs,
          maxConnections: thresholds?.maxConnections ?? 1024,
          idleTimeoutMs: 60_000,
        });
        pools.set(host.key, pool);
      }
      return pool;
    },
    connect: (host) =>
      runtime.net.connect({ host: host.address, port: host.port, timeoutMs: connectTimeoutMs, tls }),
    updateEndpoints(assignment) {
      setHosts(endpointsOf(assignment, `cluster ${name} endpoints`));
      stats.update_success.value++;
    },
    async close() {
      closed = true;
      if (refreshTimer !== undefined) runtime.clock.clearTimeout(refreshTimer);
      await Promise.all([...pools.values()].map((p) => p.close().catch(() => {})));
      pools.clear();
    },
  };
}

function upstreamProtocol(config: Cluster, field: string): "http1" | "http2" {
  if (config.http2ProtocolOptions) return "http2";
  const any = config.typedExtensionProtocolOptions[HTTP_PROTOCOL_OPTIONS];
  if (!any) return "http1";
  if (!anyIs(any, HttpProtocolOptionsSchema)) {
    throw new WeftError(
      "config",
      `${field}.typed_extension_protocol_options["${HTTP_PROTOCOL_OPTIONS}"]: wrong type ${any.typeUrl}`,
    );
  }
  const opts = anyUnpack(any, HttpProtocolOptionsSchema)!.upstreamProtocolOptions;
  if (opts.case === "explicitHttpConfig") {
    return opts.value.protocolConfig.case === "http2ProtocolOptions" ? "http2" : "http1";
  }
  throw new WeftError(
    "config",
    `${field}.typed_extension_protocol_options: ${
      opts.case ?? "empty"
    } upstream protocol selection is not supported; use explicit_http_config`,
  );
}

/** Envoy's dns_lookup_family: AUTO prefers IPv6, V4_PREFERRED prefers IPv4, ALL keeps both. */
function pickFamily(addresses: string[], family: Cluster_DnsLookupFamily): string[] {
  const v4 = addresses.filter((a) => !a.includes(":"));
  const v6 = addresses.filter((a) => a.includes(":"));
  switch (family) {
    case Cluster_DnsLookupFamily.V4_ONLY:
      return v4;
    case Cluster_DnsLookupFamily.V6_ONLY:
      return v6;
    case Cluster_DnsLookupFamily.V4_PREFERRED:
      return v4.length ? v4 : v6;
    case Cluster_DnsLookupFamily.ALL:
      return [...v4, ...v6];
    default:
      return v6.length ? v6 : v4;
  }
}

function isIp(address: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(address) || address.includes(":");
}
