// The ServiceEntry registry: ServiceEntry hosts × ports → Services; endpoints, WorkloadEntries and Pods → instances.
import type { ConfigObject, Service, ServiceInstance, ServicePort, Workload } from "../model/types.ts";
import { compare, sameItems } from "../model/order.ts";
import { type ConfigInput, kindLists } from "../model/config-input.ts";
import {
  type ConfigFedRegistry,
  createConfigFedRegistry,
  type RegistryContents,
  sortInstances,
} from "./contents.ts";
import { podIP, podReady, podServiceAccount } from "./k8s-objects.ts";
import { isEmptySelector, type Labels, matchesSelector } from "./labels.ts";
import { parseProtocol } from "./protocol.ts";

export const SERVICE_ENTRY_REGISTRY = "serviceentry";

/** The WorkloadEntry spec, also the shape of a ServiceEntry's inline endpoints. */
export interface WorkloadEntrySpec {
  readonly address?: string;
  readonly ports?: Readonly<Record<string, number>>;
  readonly labels?: Labels;
  readonly weight?: number;
  readonly serviceAccount?: string;
}

export interface ServiceEntrySpec {
  readonly hosts?: readonly string[];
  readonly addresses?: readonly string[];
  readonly ports?: readonly {
    readonly number: number;
    readonly protocol?: string;
    readonly name?: string;
    readonly targetPort?: number;
  }[];
  readonly location?: string;
  readonly resolution?: string;
  readonly endpoints?: readonly WorkloadEntrySpec[];
  readonly workloadSelector?: { readonly labels?: Labels };
}

export function createServiceEntryRegistry(objects: ConfigInput = []): ConfigFedRegistry {
  // Rebuilt only when one of its kinds changed (a config snapshot hands out the same arrays until then).
  let last:
    | { readonly inputs: readonly (readonly ConfigObject[])[]; readonly contents: RegistryContents }
    | undefined;
  return createConfigFedRegistry(SERVICE_ENTRY_REGISTRY, (input) => {
    const list = kindLists(input);
    const inputs = INPUT_KINDS.map((kind) => list(kind));
    if (last === undefined || !sameItems(last.inputs, inputs)) {
      last = { inputs, contents: buildServiceEntryContents(input) };
    }
    return last.contents;
  }, objects);
}

const INPUT_KINDS = ["ServiceEntry", "WorkloadEntry", "Pod"];

/** One candidate endpoint before it is bound to a port. */
interface Candidate {
  readonly address: string;
  readonly ports: Readonly<Record<string, number>>;
  readonly labels: Labels;
  readonly weight: number;
  readonly serviceAccount?: string;
  readonly workloadName?: string;
  readonly healthy: boolean;
}

export function buildServiceEntryContents(input: ConfigInput): RegistryContents {
  const list = kindLists(input);
  const entries = list("WorkloadEntry");
  const pods = list("Pod");
  const services: Service[] = [];
  const instances = new Map<string, ServiceInstance[]>();
  for (const se of list("ServiceEntry")) {
    const spec = (se.spec ?? {}) as ServiceEntrySpec;
    const resolution = spec.resolution === "DNS" || spec.resolution === "DNS_ROUND_ROBIN"
      ? "DNS"
      : spec.resolution === "STATIC"
      ? "STATIC"
      : "NONE";
    const ports = (spec.ports ?? []).map((p): ServicePort => ({
      name: p.name ?? String(p.number),
      port: p.number,
      protocol: parseProtocol(p.protocol),
      targetPort: p.targetPort ?? p.number,
    }));
    const candidates = seCandidates(se, spec, entries, pods);
    const address = spec.addresses?.find((a) => !a.includes("/") || a.endsWith("/32"))?.replace(/\/32$/, "");
    for (const host of spec.hosts ?? []) {
      if (instances.has(host)) continue; // a host defined twice: the first ServiceEntry wins
      services.push({
        hostname: host,
        namespace: se.namespace,
        ports,
        selector: spec.workloadSelector?.labels,
        address,
        resolution,
        external: spec.location !== "MESH_INTERNAL",
        registry: SERVICE_ENTRY_REGISTRY,
      });
      const hostCandidates = candidates.length > 0 || resolution !== "DNS" || host.includes("*")
        ? candidates
        : [{ address: host, ports: {}, labels: {}, weight: 1, healthy: true }];
      const list: ServiceInstance[] = [];
      for (const port of ports) {
        for (const c of hostCandidates) {
          list.push({
            hostname: host,
            servicePort: port.port,
            address: c.address,
            port: c.ports[port.name] ?? port.targetPort,
            labels: c.labels,
            namespace: se.namespace,
            serviceAccount: c.serviceAccount,
            workloadName: c.workloadName,
            weight: c.weight,
            healthy: c.healthy,
            registry: SERVICE_ENTRY_REGISTRY,
          });
        }
      }
      instances.set(host, sortInstances(list));
    }
  }
  services.sort((a, b) => compare(a.hostname, b.hostname));
  const workloads: Workload[] = entries.flatMap((we) => {
    const spec = (we.spec ?? {}) as WorkloadEntrySpec;
    if (spec.address === undefined) return [];
    return [{
      name: we.name,
      namespace: we.namespace,
      address: spec.address,
      labels: { ...we.labels, ...spec.labels },
      serviceAccount: spec.serviceAccount,
    }];
  });
  return { services, instances, workloads };
}

/** Inline endpoints, else the WorkloadEntries and Pods its workloadSelector picks in its namespace. */
function seCandidates(
  se: ConfigObject,
  spec: ServiceEntrySpec,
  entries: readonly ConfigObject[],
  pods: readonly ConfigObject[],
): Candidate[] {
  if (spec.endpoints !== undefined && spec.endpoints.length > 0) {
    return spec.endpoints.flatMap((ep) =>
      ep.address === undefined ? [] : [{
        address: ep.address,
        ports: ep.ports ?? {},
        labels: ep.labels ?? {},
        weight: ep.weight ?? 1,
        serviceAccount: ep.serviceAccount,
        healthy: true,
      }]
    );
  }
  const selector = spec.workloadSelector?.labels;
  if (isEmptySelector(selector)) return [];
  const out: Candidate[] = [];
  for (const we of entries) {
    const weSpec = (we.spec ?? {}) as WorkloadEntrySpec;
    const labels = { ...we.labels, ...weSpec.labels };
    if (we.namespace !== se.namespace || weSpec.address === undefined || !matchesSelector(labels, selector)) {
      continue;
    }
    out.push({
      address: weSpec.address,
      ports: weSpec.ports ?? {},
      labels,
      weight: weSpec.weight ?? 1,
      serviceAccount: weSpec.serviceAccount,
      workloadName: we.name,
      healthy: true,
    });
  }
  for (const pod of pods) {
    const address = podIP(pod);
    if (pod.namespace !== se.namespace || address === undefined || !matchesSelector(pod.labels, selector)) {
      continue;
    }
    out.push({
      address,
      ports: {},
      labels: pod.labels,
      weight: 1,
      serviceAccount: podServiceAccount(pod),
      workloadName: pod.name,
      healthy: podReady(pod),
    });
  }
  return out;
}
