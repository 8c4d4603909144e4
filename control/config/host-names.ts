// Istio host names: short names resolved against the config's namespace, and wildcard matching.

/**
 * Resolves a host the way Istio does (ResolveShortnameToFQDN) for a config in `configNamespace`:
 * a name without dots is a short name, "reviews" → "reviews.<ns>.svc.cluster.local"; names with dots
 * ("www.googleapis.com", "httpbin.org"), wildcards and IPs are kept as written. Istio keeps "reviews.prod" as
 * written too (it names nothing); pass `knownNamespaces` to read "<service>.<namespace>" as
 * "reviews.prod.svc.cluster.local" when its second label is a namespace you know.
 */
export function resolveHost(
  shortName: string,
  configNamespace: string,
  domainSuffix = "cluster.local",
  knownNamespaces?: ReadonlySet<string>,
): string {
  const host = shortName.endsWith(".") ? shortName.slice(0, -1) : shortName;
  if (host.startsWith("*") || isIPLike(host)) return host;
  const labels = host.split(".");
  if (labels.length === 1) return `${host}.${configNamespace}.svc.${domainSuffix}`;
  if (labels.length === 2 && knownNamespaces?.has(labels[1])) return `${host}.svc.${domainSuffix}`;
  return host;
}

function isIPLike(host: string): boolean {
  return host.includes(":") || /^\d+\.\d+\.\d+\.\d+$/.test(host);
}

/** Whether two host names can name the same host ("*.example.com" and "a.example.com"; "*" and anything). */
export function hostsOverlap(a: string, b: string): boolean {
  return hostCoveredBy(a, b) || hostCoveredBy(b, a);
}

/** Whether `host` is covered by `pattern` (a concrete name, or a wildcard such as "*.example.com" or "*"). */
export function hostCoveredBy(host: string, pattern: string): boolean {
  if (pattern === "*" || host === pattern) return true;
  if (!pattern.startsWith("*")) return false;
  const suffix = pattern.slice(1);
  return host.startsWith("*") ? host.slice(1).endsWith(suffix) : host.endsWith(suffix);
}
