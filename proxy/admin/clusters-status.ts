// Envoy's /clusters output (text lines and ClusterStatuses JSON) from the proxy's upstream clusters.
import type { UpstreamCluster } from "../cluster/cluster.ts";
import type { Host } from "../cluster/host.ts";

/** `ip:port`, with brackets around IPv6 addresses as Envoy prints them. */
export function hostAddress(host: Host): string {
  return host.address.includes(":") ? `[${host.address}]:${host.port}` : `${host.address}:${host.port}`;
}

/** One `<cluster>::<fact>::<value>` line per fact, like `GET /clusters`. */
export function formatClustersText(clusters: Iterable<UpstreamCluster>): string {
  const lines: string[] = [];
  for (const c of clusters) {
    lines.push(`${c.name}::observability_name::${c.name}`);
    lines.push(`${c.name}::default_priority::max_requests::${c.maxRequests}`);
    lines.push(`${c.name}::default_priority::max_retries::${c.maxRetries}`);
    for (const h of c.hosts()) {
      const at = `${c.name}::${hostAddress(h)}`;
      lines.push(`${at}::rq_active::${h.activeRequests}`);
      lines.push(`${at}::health_flags::${h.healthy ? "healthy" : "/failed_eds_health"}`);
      lines.push(`${at}::weight::${h.weight}`);
      lines.push(`${at}::priority::0`);
    }
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}

/** Envoy's `admin.v3.Clusters` as JSON, like `GET /clusters?format=json`. */
export function formatClustersJson(clusters: Iterable<UpstreamCluster>): { cluster_statuses: unknown[] } {
  const statuses: unknown[] = [];
  for (const c of clusters) {
    statuses.push({
      name: c.name,
      observability_name: c.name,
      circuit_breakers: { thresholds: [{ max_requests: c.maxRequests, max_retries: c.maxRetries }] },
      host_statuses: c.hosts().map((h) => ({
        address: { socket_address: { address: h.address, port_value: h.port } },
        stats: [{ name: "rq_active", type: "GAUGE", value: h.activeRequests }],
        health_status: { eds_health_status: h.healthy ? "HEALTHY" : "UNHEALTHY" },
        weight: h.weight,
        priority: 0,
      })),
    });
  }
  return { cluster_statuses: statuses };
}
