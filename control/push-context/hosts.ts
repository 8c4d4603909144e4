// Istio host names: short-name resolution, wildcard matching, and "namespace/host" selectors.

/**
 * Resolves a host the way Istio does for names written in a config object of `namespace`: a name without
 * a dot (and without a wildcard) is a Kubernetes short name, `reviews` → `reviews.<namespace>.svc.<suffix>`;
 * anything else is kept (lower-cased).
 */
export function resolveHost(host: string, namespace: string, domainSuffix: string): string {
  const h = host.toLowerCase();
  if (h.includes(".") || h.includes("*")) return h;
  return `${h}.${namespace}.svc.${domainSuffix}`;
}

/** Whether `host` (possibly itself a wildcard) falls under `pattern` ("*", "*.suffix" or exact). */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === "*" || pattern === host) return true;
  if (!pattern.startsWith("*")) return false;
  const suffix = pattern.slice(1); // ".example.com"
  if (host.startsWith("*")) return host.slice(1).endsWith(suffix);
  return host.length > suffix.length && host.endsWith(suffix);
}

/** The more specific of two overlapping hosts (the one the other matches), or undefined when disjoint. */
export function hostIntersection(a: string, b: string): string | undefined {
  if (hostMatches(a, b)) return b;
  if (hostMatches(b, a)) return a;
  return undefined;
}

/** A "namespace/host" selector (Gateway server hosts, Sidecar egress hosts); "." is the owner's namespace. */
export interface NamespacedHost {
  /** "*" (any), or a namespace name ("." already resolved). */
  readonly namespace: string;
  readonly host: string;
}

/** Parses "ns/host"; a bare "host" means any namespace ("*"). "~" (no namespace) is kept as "~". */
export function parseNamespacedHost(value: string, ownNamespace: string): NamespacedHost {
  const slash = value.indexOf("/");
  if (slash < 0) return { namespace: "*", host: value.toLowerCase() };
  const ns = value.slice(0, slash);
  return { namespace: ns === "." ? ownNamespace : ns, host: value.slice(slash + 1).toLowerCase() };
}

/** Whether a selector admits `host` declared in `namespace`. */
export function namespacedHostMatches(sel: NamespacedHost, namespace: string, host: string): boolean {
  if (sel.namespace === "~") return false;
  if (sel.namespace !== "*" && sel.namespace !== namespace) return false;
  return hostMatches(sel.host, host);
}

/** Istio's exportTo: undefined or containing "*" = everywhere; "." = own namespace; "~" = nowhere. */
export function isExportedTo(
  exportTo: readonly string[] | undefined,
  owner: string,
  namespace: string,
): boolean {
  if (exportTo === undefined || exportTo.length === 0) return true;
  return exportTo.some((e) => e === "*" || (e === "." ? owner === namespace : e === namespace));
}

/** Where a list's items name each host: positions by exact host, and the items with a wildcard host apart. */
interface HostIndex {
  readonly exact: Map<string, number[]>;
  readonly wildcard: number[];
}

const hostIndexes = new WeakMap<readonly unknown[], HostIndex>();

/**
 * Positions, in list order, of the items that may match `hostname` (hostMatches): those naming it exactly, and
 * those with a wildcard host. Indexed once per list (lists are never changed once built, and each is used with
 * one `hostsOf`), so a lookup does not scan every VirtualService or DestinationRule of the mesh.
 */
export function hostCandidates<T>(
  list: readonly T[],
  hostsOf: (item: T) => readonly string[],
  hostname: string,
): readonly number[] {
  let index = hostIndexes.get(list);
  if (index === undefined) {
    const built: HostIndex = { exact: new Map(), wildcard: [] };
    list.forEach((item, i) => {
      let wildcard = false;
      for (const h of new Set(hostsOf(item))) {
        if (h.startsWith("*")) wildcard = true;
        else {
          const at = built.exact.get(h);
          if (at === undefined) built.exact.set(h, [i]);
          else at.push(i);
        }
      }
      if (wildcard) built.wildcard.push(i);
    });
    hostIndexes.set(list, index = built);
  }
  const named = index.exact.get(hostname);
  if (named === undefined) return index.wildcard;
  if (index.wildcard.length === 0) return named;
  return [...new Set([...named, ...index.wildcard])].sort((a, b) => a - b);
}
