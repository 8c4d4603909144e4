// A mutable registry for the registration API: upsert/remove services, instances and workloads, with change events.
import type { Service, ServiceInstance, Workload } from "../model/types.ts";
import { compare } from "../model/order.ts";
import { sortInstances } from "./contents.ts";
import { createChangeEmitter } from "./emitter.ts";
import type { ServiceRegistry } from "./types.ts";

export const REGISTRATION_REGISTRY = "registration";

export interface MemoryRegistryOptions {
  /** Default "registration"; also stamped into the `registry` field of what it holds. */
  readonly name?: string;
}

export interface MemoryRegistry extends ServiceRegistry {
  /** Adds or replaces the service with this hostname. */
  upsertService(service: Service): void;
  /** Removes the service and its instances; false when it was not there. */
  removeService(hostname: string): boolean;
  /** Adds or replaces the instance with the same hostname, service port, address and port. */
  upsertInstance(instance: ServiceInstance): void;
  /** Removes the instances of `hostname` at `address` (only on `port` when given); returns how many. */
  removeInstance(hostname: string, address: string, port?: number): number;
  /** Adds or replaces the workload with the same namespace and name. */
  upsertWorkload(workload: Workload): void;
  removeWorkload(namespace: string, name: string): boolean;
}

export function createMemoryRegistry(options: MemoryRegistryOptions = {}): MemoryRegistry {
  const name = options.name ?? REGISTRATION_REGISTRY;
  const services = new Map<string, Service>();
  const instances = new Map<string, Map<string, ServiceInstance>>();
  const workloads = new Map<string, Workload>();
  const emitter = createChangeEmitter();
  const changed = (hostnames: string[]) => emitter.emit({ registry: name, hostnames });
  const instanceKey = (i: ServiceInstance) => `${i.servicePort}|${i.address}|${i.port}`;

  return {
    name,
    services: () => [...services.values()].sort((a, b) => compare(a.hostname, b.hostname)),
    instances: (hostname) => sortInstances([...(instances.get(hostname)?.values() ?? [])]),
    workloads: () => [...workloads.values()],
    onChange: (cb) => emitter.subscribe(cb),
    upsertService(service) {
      services.set(service.hostname, { ...service, registry: name });
      changed([service.hostname]);
    },
    removeService(hostname) {
      const had = services.delete(hostname);
      const hadInstances = instances.delete(hostname);
      if (had || hadInstances) changed([hostname]);
      return had;
    },
    upsertInstance(instance) {
      let byKey = instances.get(instance.hostname);
      if (byKey === undefined) instances.set(instance.hostname, byKey = new Map());
      byKey.set(instanceKey(instance), { ...instance, registry: name });
      changed([instance.hostname]);
    },
    removeInstance(hostname, address, port) {
      const byKey = instances.get(hostname);
      if (byKey === undefined) return 0;
      let removed = 0;
      for (const [key, i] of byKey) {
        if (i.address === address && (port === undefined || i.port === port)) {
          byKey.delete(key);
          removed++;
        }
      }
      if (byKey.size === 0) instances.delete(hostname);
      if (removed > 0) changed([hostname]);
      return removed;
    },
    upsertWorkload(workload) {
      workloads.set(`${workload.namespace}/${workload.name}`, workload);
      changed([]);
    },
    removeWorkload(namespace, workloadName) {
      const had = workloads.delete(`${namespace}/${workloadName}`);
      if (had) changed([]);
      return had;
    },
  };
}
