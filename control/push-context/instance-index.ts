// A push context's index of service instances (hostname → port → instances, address → instances), built from
// the previous one when most hostnames' instance lists are the same arrays (an endpoint edit changes one).
import type { ServiceInstance } from "../model/types.ts";

export interface InstanceIndex {
  /** hostname → service port → instances (no key string per instance: a push context indexes all of them). */
  readonly byHostPort: ReadonlyMap<string, ReadonlyMap<number, readonly ServiceInstance[]>>;
  /**
   * address → instances, in hostname order, then each hostname's list order: `changed` (the addresses whose
   * instances changed since `base` was built; an empty list for one that has none left) over `base`, which is
   * shared from index to index until the changes outgrow it.
   */
  readonly base: ReadonlyMap<string, readonly ServiceInstance[]>;
  readonly changed: ReadonlyMap<string, readonly ServiceInstance[]>;
  /** The lists this index was built from, by hostname. */
  readonly lists: ReadonlyMap<string, readonly ServiceInstance[]>;
}

const NONE: readonly ServiceInstance[] = Object.freeze([]);

/** The instances at an address. */
export function instancesAt(index: InstanceIndex, address: string): readonly ServiceInstance[] {
  return index.changed.get(address) ?? index.base.get(address) ?? NONE;
}

/** Above this share of changed hostnames the index is built afresh (patching would not save anything). */
const PATCH_LIMIT = 0.25;

/**
 * Indexes `lists` (hostname → instances, in hostname order). With `previous`, a hostname whose list is the same
 * array keeps its port map, and the address index is patched for the others instead of rebuilt.
 */
export function indexInstances(
  lists: ReadonlyMap<string, readonly ServiceInstance[]>,
  previous?: InstanceIndex,
): InstanceIndex {
  const byHostPort = new Map<string, ReadonlyMap<number, readonly ServiceInstance[]>>();
  const changed = new Set<string>();
  for (const [host, list] of lists) {
    const kept = previous?.lists.get(host) === list ? previous.byHostPort.get(host) : undefined;
    if (kept !== undefined) {
      byHostPort.set(host, kept);
      continue;
    }
    changed.add(host);
    const ports = new Map<number, ServiceInstance[]>();
    for (const i of list) push(ports, i.servicePort, i);
    byHostPort.set(host, ports);
  }
  if (previous !== undefined) {
    for (const host of previous.lists.keys()) if (!lists.has(host)) changed.add(host);
  }
  if (previous === undefined || changed.size > lists.size * PATCH_LIMIT) {
    return { byHostPort, base: addressIndex(lists), changed: new Map(), lists };
  }
  const patched = patchAddresses(previous, lists, changed);
  // Changes piled up over many edits: fold them into a new base.
  if (patched.size > previous.base.size * PATCH_LIMIT) {
    return { byHostPort, base: addressIndex(lists), changed: new Map(), lists };
  }
  return { byHostPort, base: previous.base, changed: patched, lists };
}

function addressIndex(
  lists: ReadonlyMap<string, readonly ServiceInstance[]>,
): Map<string, ServiceInstance[]> {
  const byAddress = new Map<string, ServiceInstance[]>();
  for (const list of lists.values()) for (const i of list) push(byAddress, i.address, i);
  return byAddress;
}

/** The previous index's changed addresses plus those whose instances the changed hostnames take out or put in. */
function patchAddresses(
  previous: InstanceIndex,
  lists: ReadonlyMap<string, readonly ServiceInstance[]>,
  changed: ReadonlySet<string>,
): Map<string, readonly ServiceInstance[]> {
  const out = new Map(previous.changed);
  const touched = new Set<string>();
  for (const host of changed) {
    for (const i of previous.lists.get(host) ?? []) touched.add(i.address);
    for (const i of lists.get(host) ?? []) touched.add(i.address);
  }
  const order = hostOrder(lists);
  for (const address of touched) {
    const kept = instancesAt(previous, address).filter((i) => !changed.has(i.hostname));
    for (const host of changed) {
      for (const i of lists.get(host) ?? []) if (i.address === address) kept.push(i);
    }
    // Stable: each hostname's instances keep their list order.
    kept.sort((a, b) => order(a.hostname) - order(b.hostname));
    out.set(address, kept.length === 0 ? NONE : kept);
  }
  return out;
}

/** A hostname's position in `lists` (built on first use). */
function hostOrder(lists: ReadonlyMap<string, unknown>): (host: string) => number {
  let positions: Map<string, number> | undefined;
  return (host) => {
    positions ??= new Map([...lists.keys()].map((h, i) => [h, i]));
    return positions.get(host) ?? -1;
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
