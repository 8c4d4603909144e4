// The aggregate registry: merges registries by precedence (kubernetes > serviceentry > registration) and reports conflicts.
import type { Service, ServiceInstance, Workload } from "../model/types.ts";
import { compare } from "../model/order.ts";
import { sortInstances } from "./contents.ts";
import { createChangeEmitter } from "./emitter.ts";
import type { RegistryConflict, ServiceRegistry } from "./types.ts";

export const AGGREGATE_REGISTRY = "aggregate";

/** Lower ranks win; registries with other names come after these, in the order given. */
const RANK: Readonly<Record<string, number>> = { kubernetes: 0, serviceentry: 1, registration: 2 };

export interface AggregateRegistry extends ServiceRegistry {
  /** The member registries, highest precedence first. */
  readonly registries: readonly ServiceRegistry[];
  /** Hostnames defined by two registries with different ports, at this moment. */
  conflicts(): RegistryConflict[];
  /** A hostname's merged instances, frozen: the same array until an event names the hostname. */
  instanceList(hostname: string): readonly ServiceInstance[];
}

interface Merged {
  readonly services: readonly Service[];
  /** hostname → registries whose definition was dropped (their instances are ignored too). */
  readonly dropped: ReadonlyMap<string, ReadonlySet<string>>;
  readonly conflicts: readonly RegistryConflict[];
}

/**
 * Merges `registries`. For one hostname the highest-precedence registry's Service is used; a lower one
 * with the same port numbers adds its instances (e.g. VMs registered for a Kubernetes service), one with
 * different ports is dropped and reported by `conflicts()`. Child change events are re-emitted as they come.
 */
export function createAggregateRegistry(registries: readonly ServiceRegistry[]): AggregateRegistry {
  const ordered = registries
    .map((r, i) => ({ r, i, rank: RANK[r.name] ?? 3 }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((e) => e.r);
  const emitter = createChangeEmitter();
  let cache: Merged | undefined;
  /**
   * hostname → merged instances, kept until an event names the hostname (or names none: everything). A push
   * context reads every hostname's instances; after an endpoint edit only the edited one is merged again.
   */
  const instancesByHost = new Map<string, readonly ServiceInstance[]>();
  for (const r of ordered) {
    r.onChange((event) => {
      cache = undefined;
      if (event.hostnames.length === 0) instancesByHost.clear();
      else for (const hostname of event.hostnames) instancesByHost.delete(hostname);
      emitter.emit(event);
    });
  }
  const merged = (): Merged => (cache ??= merge(ordered));

  function mergeInstances(hostname: string): readonly ServiceInstance[] {
    const dropped = merged().dropped.get(hostname);
    const seen = new Set<string>();
    const out: ServiceInstance[] = [];
    for (const r of ordered) {
      if (dropped?.has(r.name)) continue;
      for (const i of r.instances(hostname)) {
        const key = `${i.servicePort}|${i.address}|${i.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(i);
      }
    }
    return Object.freeze(sortInstances(out));
  }

  function instanceList(hostname: string): readonly ServiceInstance[] {
    let list = instancesByHost.get(hostname);
    if (list === undefined) instancesByHost.set(hostname, list = mergeInstances(hostname));
    return list;
  }

  return {
    name: AGGREGATE_REGISTRY,
    registries: ordered,
    services: () => [...merged().services],
    instances: (hostname) => [...instanceList(hostname)],
    instanceList,
    workloads() {
      const seen = new Set<string>();
      const out: Workload[] = [];
      for (const r of ordered) {
        for (const w of r.workloads()) {
          const key = `${w.namespace}/${w.name}/${w.address}`;
          if (!seen.has(key)) {
            seen.add(key);
            out.push(w);
          }
        }
      }
      return out;
    },
    onChange: (cb) => emitter.subscribe(cb),
    conflicts: () => [...merged().conflicts],
  };
}

function merge(ordered: readonly ServiceRegistry[]): Merged {
  const byHost = new Map<string, Service>();
  const dropped = new Map<string, Set<string>>();
  const conflicts: RegistryConflict[] = [];
  for (const r of ordered) {
    for (const svc of r.services()) {
      const kept = byHost.get(svc.hostname);
      if (kept === undefined) {
        byHost.set(svc.hostname, svc);
      } else if (portKey(kept) !== portKey(svc)) {
        let set = dropped.get(svc.hostname);
        if (set === undefined) dropped.set(svc.hostname, set = new Set());
        set.add(r.name);
        conflicts.push({
          hostname: svc.hostname,
          kept: kept.registry,
          dropped: r.name,
          message:
            `${svc.hostname} is defined by ${kept.registry} (ports ${portKey(kept)}) and by ${r.name} ` +
            `(ports ${portKey(svc)}); the ${r.name} definition and its instances are ignored`,
        });
      }
    }
  }
  const services = [...byHost.values()].sort((a, b) => compare(a.hostname, b.hostname));
  return { services, dropped, conflicts };
}

function portKey(s: Service): string {
  return [...s.ports.map((p) => p.port)].sort((a, b) => a - b).join(",");
}
