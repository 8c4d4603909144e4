// A registry over a computed snapshot (services, instances by hostname, workloads) that can be replaced wholesale.
import type { Service, ServiceInstance, Workload } from "../model/types.ts";
import { compare } from "../model/order.ts";
import type { ConfigInput } from "../model/config-input.ts";
import { createChangeEmitter } from "./emitter.ts";
import type { ServiceRegistry } from "./types.ts";

/** What a registry holds at one moment. */
export interface RegistryContents {
  readonly services: readonly Service[];
  readonly instances: ReadonlyMap<string, readonly ServiceInstance[]>;
  readonly workloads: readonly Workload[];
  /**
   * Set by a build that started from the previous contents: the only hostnames that may differ from them (the
   * change event compares these, not every host).
   */
  readonly touched?: readonly string[];
}

/** A registry fed with config objects: `replace` recomputes and emits one event naming the changed hostnames. */
export interface ConfigFedRegistry extends ServiceRegistry {
  replace(input: ConfigInput): void;
}

export const EMPTY_CONTENTS: RegistryContents = { services: [], instances: new Map(), workloads: [] };

export function createConfigFedRegistry(
  name: string,
  build: (input: ConfigInput) => RegistryContents,
  objects: ConfigInput,
): ConfigFedRegistry {
  let contents = build(objects);
  const emitter = createChangeEmitter();
  return {
    name,
    services: () => [...contents.services],
    instances: (hostname) => [...(contents.instances.get(hostname) ?? [])],
    workloads: () => [...contents.workloads],
    onChange: (cb) => emitter.subscribe(cb),
    replace(next) {
      const before = contents;
      contents = build(next);
      if (contents === before) return;
      const changed = changedHostnames(before, contents, contents.touched);
      // Registries hand out the same workloads array while nothing about them changed.
      const workloadsChanged = before.workloads !== contents.workloads &&
        JSON.stringify(before.workloads) !== JSON.stringify(contents.workloads);
      if (changed.length > 0 || workloadsChanged) emitter.emit({ registry: name, hostnames: changed });
    },
  };
}

const hostKeys = new WeakMap<RegistryContents, ReadonlyMap<string, string>>();
const instanceJson = new WeakMap<
  readonly ServiceInstance[],
  { service: Service | undefined; json: string }
>();

/** A host's service and instances as JSON, kept while a registry reuses both objects across rebuilds. */
function hostJson(service: Service | undefined, instances: readonly ServiceInstance[] | undefined): string {
  if (instances === undefined) return JSON.stringify([service, []]);
  const cached = instanceJson.get(instances);
  if (cached !== undefined && cached.service === service) return cached.json;
  const json = JSON.stringify([service, instances]);
  instanceJson.set(instances, { service, json });
  return json;
}

/** Per hostname, its service and instances as JSON; once per contents (the next replace compares against it). */
function hostKeysOf(c: RegistryContents): ReadonlyMap<string, string> {
  let keys = hostKeys.get(c);
  if (keys === undefined) {
    // Index services by hostname once: a linear find per host made this quadratic in the number of services.
    const services = new Map<string, Service>();
    for (const s of c.services) if (!services.has(s.hostname)) services.set(s.hostname, s);
    const map = new Map<string, string>();
    for (const host of new Set([...services.keys(), ...c.instances.keys()])) {
      map.set(host, hostJson(services.get(host), c.instances.get(host)));
    }
    hostKeys.set(c, keys = map);
  }
  return keys;
}

/**
 * Hostnames whose service definition or instance list differs between two snapshots, sorted; only among
 * `candidates` when given (the others are known to be the same).
 */
export function changedHostnames(
  a: RegistryContents,
  b: RegistryContents,
  candidates?: readonly string[],
): string[] {
  if (candidates !== undefined) {
    const json = (c: RegistryContents, host: string) =>
      hostJson(c.services.find((s) => s.hostname === host), c.instances.get(host));
    return [...new Set(candidates)].filter((h) => json(a, h) !== json(b, h)).sort();
  }
  const keysA = hostKeysOf(a);
  const keysB = hostKeysOf(b);
  const empty = JSON.stringify([undefined, []]);
  const hosts = new Set<string>([...keysA.keys(), ...keysB.keys()]);
  return [...hosts].filter((h) => (keysA.get(h) ?? empty) !== (keysB.get(h) ?? empty)).sort();
}

/** Sorts instances by address, then port, so output never depends on input order. */
export function sortInstances(list: ServiceInstance[]): ServiceInstance[] {
  return list.sort((x, y) =>
    x.servicePort - y.servicePort || compare(x.address, y.address) || x.port - y.port
  );
}
