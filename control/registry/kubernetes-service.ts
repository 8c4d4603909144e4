// Builds one Kubernetes Service and its instances from its EndpointSlices / Endpoints and selected Pods.
import type { ConfigObject, Service, ServiceInstance, ServicePort, Workload } from "../model/types.ts";
import {
  endpointsSubsets,
  type K8sEndpointAddress,
  type K8sEndpointPort,
  type K8sServicePort,
  podIP,
  podNamedPort,
  podReady,
  podServiceAccount,
  serviceSpec,
  sliceEndpoints,
  slicePorts,
} from "./k8s-objects.ts";
import { isEmptySelector, matchesSelector } from "./labels.ts";
import { selectProtocol } from "./protocol.ts";

export const KUBERNETES_REGISTRY = "kubernetes";

/** A Kubernetes Service's hostname: `<name>.<namespace>.svc.<domainSuffix>`. */
export function serviceHostname(name: string, namespace: string, domainSuffix: string): string {
  return `${name}.${namespace}.svc.${domainSuffix}`;
}

export interface Index extends PodFacts {
  /** EndpointSlices grouped by "namespace/service", in input order. */
  readonly slicesByService: ReadonlyMap<string, readonly ConfigObject[]>;
  readonly endpoints: ReadonlyMap<string, ConfigObject>;
}

/** What follows from the Pods alone: rebuilt only when a Pod changes (an endpoint edit leaves it as it was). */
export interface PodFacts {
  /** Pods by "namespace\u0000key=value" of each of their labels: a selector looks at one bucket, not a namespace. */
  readonly podsByLabel: ReadonlyMap<string, readonly ConfigObject[]>;
  readonly podByName: ReadonlyMap<string, ConfigObject>;
  readonly podByIP: ReadonlyMap<string, ConfigObject>;
  /** The same array while the Pods are the same objects. */
  readonly workloads: readonly Workload[];
}

export function podFacts(pods: readonly ConfigObject[]): PodFacts {
  return {
    podsByLabel: labelIndex(pods),
    podByName: new Map(pods.map((p) => [`${p.namespace}/${p.name}`, p])),
    podByIP: new Map(pods.flatMap((p) => {
      const ip = podIP(p);
      return ip === undefined ? [] : [[ip, p] as const];
    })),
    workloads: pods.flatMap((p) => {
      const address = podIP(p);
      if (address === undefined) return [];
      return [{
        name: p.name,
        namespace: p.namespace,
        address,
        labels: p.labels,
        serviceAccount: podServiceAccount(p),
      }];
    }),
  };
}

export function buildService(
  obj: ConfigObject,
  domainSuffix: string,
  index: Index,
): { service: Service; instances: ServiceInstance[] } {
  const spec = serviceSpec(obj);
  const hostname = serviceHostname(obj.name, obj.namespace, domainSuffix);
  const selector = isEmptySelector(spec.selector) ? undefined : spec.selector;
  const selected = selector === undefined ? [] : selectPods(index, obj.namespace, selector);
  const slices = index.slicesByService.get(`${obj.namespace}/${obj.name}`) ?? [];
  const rawPorts = (spec.ports ?? []).filter((p) =>
    p.protocol === undefined || p.protocol.toUpperCase() === "TCP"
  );
  const ports = rawPorts.map((p): ServicePort => ({
    name: p.name ?? "",
    port: p.port,
    protocol: selectProtocol(p.name, p.appProtocol),
    targetPort: resolveTargetPort(p, selected, slices),
  }));
  const external = spec.type === "ExternalName" && spec.externalName !== undefined;
  const clusterIP = spec.clusterIP;
  const service: Service = {
    hostname,
    namespace: obj.namespace,
    ports,
    selector,
    address: clusterIP !== undefined && clusterIP !== "" && clusterIP !== "None" ? clusterIP : undefined,
    resolution: external ? "DNS" : "STATIC",
    external: false,
    registry: KUBERNETES_REGISTRY,
  };
  const make = (
    port: K8sServicePort,
    target: number,
    address: string,
    ready: boolean,
    pod?: ConfigObject,
  ) => ({
    hostname,
    servicePort: port.port,
    address,
    port: target,
    labels: pod?.labels ?? {},
    namespace: obj.namespace,
    serviceAccount: pod === undefined ? undefined : podServiceAccount(pod),
    workloadName: pod?.name,
    weight: 1,
    healthy: ready,
    registry: KUBERNETES_REGISTRY,
  });
  const out: ServiceInstance[] = [];
  const endpoints = index.endpoints.get(`${obj.namespace}/${obj.name}`);
  if (slices.length > 0) {
    for (const slice of slices) {
      for (const port of rawPorts) {
        const target = endpointPort(slicePorts(slice), port);
        if (target === undefined) continue;
        for (const ep of sliceEndpoints(slice)) {
          for (const address of ep.addresses ?? []) {
            const pod = findPod(index, obj.namespace, address, ep.targetRef);
            out.push(make(port, target, address, ep.conditions?.ready !== false, pod));
          }
        }
      }
    }
  } else if (endpoints !== undefined) {
    for (const subset of endpointsSubsets(endpoints)) {
      for (const port of rawPorts) {
        const target = endpointPort(subset.ports ?? [], port);
        if (target === undefined) continue;
        const add = (a: K8sEndpointAddress, ready: boolean) => {
          if (a.ip === undefined) return;
          out.push(make(port, target, a.ip, ready, findPod(index, obj.namespace, a.ip, a.targetRef)));
        };
        for (const a of subset.addresses ?? []) add(a, true);
        for (const a of subset.notReadyAddresses ?? []) add(a, false);
      }
    }
  } else if (external) {
    for (const port of rawPorts) out.push(make(port, port.port, spec.externalName!, true));
  } else {
    // No endpoint objects (a file-only mesh): the selected Pods with an IP are the instances.
    for (const pod of selected) {
      const address = podIP(pod);
      if (address === undefined) continue;
      for (const port of rawPorts) {
        const target = podTargetPort(port, pod);
        if (target !== undefined) out.push(make(port, target, address, podReady(pod), pod));
      }
    }
  }
  return { service, instances: out };
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list === undefined) out.set(k, [item]);
    else list.push(item);
  }
  return out;
}

/** The number behind a Service port's targetPort: numeric, or named and found in a selected Pod or a slice. */
function resolveTargetPort(
  port: K8sServicePort,
  pods: readonly ConfigObject[],
  slices: readonly ConfigObject[],
): number {
  const target = port.targetPort;
  if (typeof target === "number") return target;
  if (target === undefined || target === "") return port.port;
  if (/^\d+$/.test(target)) return Number(target);
  for (const pod of pods) {
    const n = podNamedPort(pod, target);
    if (n !== undefined) return n;
  }
  for (const slice of slices) {
    const n = endpointPort(slicePorts(slice), port);
    if (n !== undefined) return n;
  }
  return port.port;
}

function podTargetPort(port: K8sServicePort, pod: ConfigObject): number | undefined {
  const target = port.targetPort;
  if (typeof target === "number") return target;
  if (target === undefined || target === "") return port.port;
  if (/^\d+$/.test(target)) return Number(target);
  return podNamedPort(pod, target);
}

/** The endpoint port for a Service port: slice/subset ports carry the Service port's name ("" when unnamed). */
function endpointPort(ports: readonly K8sEndpointPort[], port: K8sServicePort): number | undefined {
  const name = port.name ?? "";
  const hit = ports.find((p) => (p.name ?? "") === name) ??
    (ports.length === 1 && name === "" ? ports[0] : undefined);
  return hit?.port;
}

function findPod(
  index: Index,
  namespace: string,
  address: string,
  ref: { readonly kind?: string; readonly name?: string; readonly namespace?: string } | undefined,
): ConfigObject | undefined {
  if (ref?.name !== undefined && (ref.kind === undefined || ref.kind === "Pod")) {
    const pod = index.podByName.get(`${ref.namespace ?? namespace}/${ref.name}`);
    if (pod !== undefined) return pod;
  }
  return index.podByIP.get(address);
}

function labelIndex(pods: readonly ConfigObject[]): Map<string, ConfigObject[]> {
  const index = new Map<string, ConfigObject[]>();
  for (const pod of pods) {
    for (const [k, v] of Object.entries(pod.labels ?? {})) {
      const key = `${pod.namespace}\u0000${k}=${v}`;
      const list = index.get(key);
      if (list === undefined) index.set(key, [pod]);
      else list.push(pod);
    }
  }
  return index;
}

/** The namespace's pods matching a non-empty selector, in input order. */
export function selectPods(
  index: Index,
  namespace: string,
  selector: Readonly<Record<string, string>>,
): ConfigObject[] {
  const [k, v] = Object.entries(selector)[0];
  return (index.podsByLabel.get(`${namespace}\u0000${k}=${v}`) ?? []).filter((p) =>
    matchesSelector(p.labels, selector)
  );
}

export interface BuiltService {
  readonly service: Service;
  readonly instances: ServiceInstance[];
}
