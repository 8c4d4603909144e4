// Picks the virtual host for an authority: exact > *.suffix (longest) > prefix.* (longest) > "*".
import { configError } from "./config-error.ts";
import { portIndex } from "./redirect.ts";
import { asciiLower } from "./string-matcher.ts";

/** Finds the virtual host for a request's authority. */
export interface VirtualHostSelector<V> {
  select(authority: string): V | undefined;
}

/** One virtual host's domains; `path` names it for errors (e.g. "virtual_hosts[2]"). */
export interface DomainEntry<V> {
  readonly domains: readonly string[];
  readonly value: V;
  readonly path: string;
}

export interface VirtualHostSelectorOptions {
  /** ignore_port_in_host_matching: strip the port before any lookup. */
  readonly ignorePort: boolean;
}

/** Wildcards grouped by the length of their fixed part, longest first. */
type WildcardTable<V> = readonly { readonly length: number; readonly map: ReadonlyMap<string, V> }[];

/**
 * Builds the selector. Domains compare case-insensitively; a wildcard matches at least one
 * character (`*.foo.com` does not match `.foo.com` nor `foo.com`). The full authority is tried
 * first; when nothing but the `*` default would match and the authority carries a `:port`, the
 * lookup is retried without the port before falling back to `*`. A domain listed twice (in one
 * or several virtual hosts) is a config error.
 */
export function createVirtualHostSelector<V>(
  entries: readonly DomainEntry<V>[],
  options: VirtualHostSelectorOptions,
): VirtualHostSelector<V> {
  const exact = new Map<string, V>();
  const suffixes = new Map<number, Map<string, V>>();
  const prefixes = new Map<number, Map<string, V>>();
  const seen = new Set<string>();
  let fallback: V | undefined;
  for (const entry of entries) {
    if (entry.domains.length === 0) {
      throw configError(`${entry.path}.domains`, "at least one domain is required");
    }
    entry.domains.forEach((raw, i) => {
      const domain = asciiLower(raw);
      const at = `${entry.path}.domains[${i}]`;
      if (domain === "") throw configError(at, "a domain must not be empty");
      if (seen.has(domain)) {
        throw configError(at, `duplicate domain "${raw}": domains must be unique across virtual hosts`);
      }
      seen.add(domain);
      if (domain === "*") fallback = entry.value;
      else if (domain.startsWith("*")) addWildcard(suffixes, domain.slice(1), entry.value);
      else if (domain.endsWith("*")) addWildcard(prefixes, domain.slice(0, -1), entry.value);
      else exact.set(domain, entry.value);
    });
  }
  const suffixTable = sortTable(suffixes);
  const prefixTable = sortTable(prefixes);
  const lookup = (host: string): V | undefined =>
    exact.get(host) ?? findWildcard(suffixTable, host, true) ?? findWildcard(prefixTable, host, false);

  if (exact.size === 0 && suffixTable.length === 0 && prefixTable.length === 0) {
    return { select: () => fallback };
  }
  return {
    select(authority) {
      let host = asciiLower(authority);
      let port = portIndex(host);
      if (options.ignorePort && port >= 0) {
        host = host.slice(0, port);
        port = -1;
      }
      return lookup(host) ?? (port >= 0 ? lookup(host.slice(0, port)) : undefined) ?? fallback;
    },
  };
}

function addWildcard<V>(table: Map<number, Map<string, V>>, fixed: string, value: V): void {
  let map = table.get(fixed.length);
  if (map === undefined) table.set(fixed.length, map = new Map());
  map.set(fixed, value);
}

function sortTable<V>(table: Map<number, Map<string, V>>): WildcardTable<V> {
  return [...table].sort((a, b) => b[0] - a[0]).map(([length, map]) => ({ length, map }));
}

function findWildcard<V>(table: WildcardTable<V>, host: string, suffix: boolean): V | undefined {
  for (let i = 0; i < table.length; i++) {
    const { length, map } = table[i];
    if (length >= host.length) continue; // the wildcard must match at least one character
    const hit = map.get(suffix ? host.slice(host.length - length) : host.slice(0, length));
    if (hit !== undefined) return hit;
  }
  return undefined;
}
