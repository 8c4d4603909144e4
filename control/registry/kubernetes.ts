// The Kubernetes registry: Service + EndpointSlice / Endpoints / Pod objects → Services, ServiceInstances, Workloads.
import type { ConfigObject, Service, ServiceInstance } from "../model/types.ts";
import { compare, sameItems } from "../model/order.ts";
import { type ConfigInput, kindLists } from "../model/config-input.ts";
import {
  type ConfigFedRegistry,
  createConfigFedRegistry,
  type RegistryContents,
  sortInstances,
} from "./contents.ts";
import { serviceSpec, sliceServiceName } from "./k8s-objects.ts";
import { isEmptySelector } from "./labels.ts";
import {
  buildService,
  type BuiltService,
  groupBy,
  type Index,
  KUBERNETES_REGISTRY,
  type PodFacts,
  podFacts,
  selectPods,
  serviceHostname,
} from "./kubernetes-service.ts";

export { KUBERNETES_REGISTRY };

export interface KubernetesRegistryOptions {
  /** Default "cluster.local": hostnames are `<name>.<namespace>.svc.<domainSuffix>`. */
  readonly domainSuffix?: string;
  readonly objects?: readonly ConfigObject[];
}

/** The four kinds the registry reads. */
interface KubeLists {
  readonly services: readonly ConfigObject[];
  readonly slices: readonly ConfigObject[];
  readonly endpoints: readonly ConfigObject[];
  readonly pods: readonly ConfigObject[];
}

function kubeLists(input: ConfigInput): KubeLists {
  const list = kindLists(input);
  return {
    services: list("Service"),
    slices: list("EndpointSlice"),
    endpoints: list("Endpoints"),
    pods: list("Pod"),
  };
}

/**
 * A registry over Kubernetes objects; `replace(input)` feeds it the current set (other kinds are ignored). An
 * edit of a few Services, EndpointSlices or Endpoints rebuilds those services only (see `updated`).
 */
export function createKubernetesRegistry(options: KubernetesRegistryOptions = {}): ConfigFedRegistry {
  const suffix = options.domainSuffix ?? "cluster.local";
  const memo = createServiceMemo();
  let last: { readonly lists: KubeLists; readonly contents: RegistryContents } | undefined;
  return createConfigFedRegistry(
    KUBERNETES_REGISTRY,
    (input) => {
      const lists = kubeLists(input);
      const contents = (last && updated(last.lists, last.contents, lists, suffix, memo)) ??
        buildFromLists(lists, suffix, memo);
      last = { lists, contents };
      return contents;
    },
    options.objects ?? [],
  );
}

/** Computes the registry contents from a list of config objects. */
export function buildKubernetesContents(
  objects: readonly ConfigObject[],
  domainSuffix: string,
): RegistryContents {
  return buildFromLists(kubeLists(objects), domainSuffix, createServiceMemo());
}

const serviceKey = (o: ConfigObject) => `${o.namespace}/${o.name}`;
// A slice without the service-name label belongs to no Service ("\u0000" is in no Service name).
const sliceKey = (s: ConfigObject) => `${s.namespace}/${sliceServiceName(s) ?? "\u0000"}`;

function buildFromLists(lists: KubeLists, domainSuffix: string, memo: ServiceMemo): RegistryContents {
  const pods = memo.usePods(lists.pods);
  const index: Index = {
    ...pods,
    slicesByService: groupBy(lists.slices, sliceKey),
    endpoints: new Map(lists.endpoints.map((e) => [serviceKey(e), e])),
  };
  const services: Service[] = [];
  const instances = new Map<string, ServiceInstance[]>();
  for (const svc of lists.services) {
    const built = buildOne(svc, index, domainSuffix, memo);
    services.push(built.service);
    instances.set(built.service.hostname, built.instances);
  }
  services.sort((a, b) => compare(a.hostname, b.hostname));
  return { services, instances, workloads: pods.workloads };
}

function buildOne(svc: ConfigObject, index: Index, domainSuffix: string, memo: ServiceMemo): BuiltService {
  return memo.get(svc, index, () => {
    const b = buildService(svc, domainSuffix, index);
    return { service: b.service, instances: sortInstances(b.instances) };
  });
}

/** Past this many services touched (or an eighth of them) an edit rebuilds every service. */
const PATCH_SERVICES = 16;

/**
 * The contents after an edit that left the Pods as they were, rebuilding only the services whose Service,
 * EndpointSlices or Endpoints changed; undefined when a full build is due (Pods changed, or many services).
 */
function updated(
  before: KubeLists,
  contents: RegistryContents,
  lists: KubeLists,
  domainSuffix: string,
  memo: ServiceMemo,
): RegistryContents | undefined {
  if (!sameItems(before.pods, lists.pods)) return undefined;
  const limit = Math.max(PATCH_SERVICES, lists.services.length / 8);
  const keys = new Set<string>();
  if (
    !differing(before.services, lists.services, serviceKey, keys, limit) ||
    !differing(before.slices, lists.slices, sliceKey, keys, limit) ||
    !differing(before.endpoints, lists.endpoints, serviceKey, keys, limit)
  ) return undefined;
  if (keys.size === 0) return contents;
  const index: Index = {
    ...memo.usePods(lists.pods),
    slicesByService: groupBy(lists.slices.filter((s) => keys.has(sliceKey(s))), sliceKey),
    endpoints: new Map(
      lists.endpoints.map((e) => [serviceKey(e), e] as const).filter(([key]) => keys.has(key)),
    ),
  };
  const touched = [...keys].map((key) => {
    const slash = key.indexOf("/"); // "namespace/name"
    return serviceHostname(key.slice(slash + 1), key.slice(0, slash), domainSuffix);
  });
  const gone = new Set(touched);
  const instances = new Map(contents.instances);
  for (const host of touched) instances.delete(host);
  const services = contents.services.filter((s) => !gone.has(s.hostname));
  for (const svc of lists.services) {
    if (!keys.has(serviceKey(svc))) continue;
    const built = buildOne(svc, index, domainSuffix, memo);
    services.push(built.service);
    instances.set(built.service.hostname, built.instances);
  }
  services.sort((a, b) => compare(a.hostname, b.hostname));
  return { services, instances, workloads: contents.workloads, touched };
}

/**
 * Adds to `keys` the key of every object in one list but not the other; false when that passes `limit`. Lists
 * from a config snapshot keep their order, so an object replaced in place is found position by position.
 */
function differing(
  a: readonly ConfigObject[],
  b: readonly ConfigObject[],
  key: (o: ConfigObject) => string,
  keys: Set<string>,
  limit: number,
): boolean {
  if (a === b) return true;
  if (a.length === b.length) {
    // Both objects at a position that differs: an object in one list only is at such a position.
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i]) continue;
      keys.add(key(a[i]));
      keys.add(key(b[i]));
      if (keys.size > limit) return false;
    }
    return true;
  }
  const inA = new Set(a);
  const inB = new Set(b);
  for (const o of a) if (!inB.has(o)) keys.add(key(o));
  for (const o of b) if (!inA.has(o)) keys.add(key(o));
  return keys.size <= limit;
}

/**
 * Built services kept between rebuilds while their inputs are the same objects (the config store hands out the
 * same object for an unchanged document): a Service, its EndpointSlices / Endpoints and selected Pods. Pods are
 * also looked up by IP and name from anywhere, so any Pod change starts the memo afresh.
 */
interface ServiceMemo {
  /** The facts of these Pods: the last ones when they are the same objects as last time. */
  usePods(pods: readonly ConfigObject[]): PodFacts;
  get(svc: ConfigObject, index: Index, build: () => BuiltService): BuiltService;
}

function createServiceMemo(): ServiceMemo {
  let last: { readonly pods: readonly ConfigObject[]; readonly facts: PodFacts } | undefined;
  let byService = new WeakMap<ConfigObject, { deps: readonly unknown[]; built: BuiltService }>();
  return {
    usePods(pods) {
      if (last === undefined || !sameItems(last.pods, pods)) {
        byService = new WeakMap();
        last = { pods, facts: podFacts(pods) };
      }
      return last.facts;
    },
    get(svc, index, build) {
      const selector = serviceSpec(svc).selector;
      const deps = [
        index.endpoints.get(serviceKey(svc)),
        ...(index.slicesByService.get(serviceKey(svc)) ?? []),
      ];
      if (!isEmptySelector(selector)) deps.push(...selectPods(index, svc.namespace, selector!));
      const cached = byService.get(svc);
      if (cached !== undefined && sameItems(cached.deps, deps)) return cached.built;
      const built = build();
      byService.set(svc, { deps, built });
      return built;
    },
  };
}
