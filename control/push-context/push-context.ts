// createPushContext: a frozen, indexed view of services, instances and Istio config at one moment.
import type { ConfigObject, ProxyIdentity, Service, ServiceInstance, Workload } from "../model/types.ts";
import { compare } from "../model/order.ts";
import { type ConfigInput, kindLists } from "../model/config-input.ts";
import { type Labels, matchesSelector } from "../registry/labels.ts";
import type { ServiceRegistry } from "../registry/types.ts";
import { selectDestinationRule } from "./destination-rules.ts";
import { resolveHost } from "./hosts.ts";
import { indexInstances, type InstanceIndex, instancesAt } from "./instance-index.ts";
import { createSidecarScope, selectSidecar, type SidecarScope } from "./sidecar-scope.ts";
import {
  boundGateways,
  type DestinationRuleView,
  destinationRuleView,
  type GatewayView,
  gatewayView,
  type SidecarView,
  sidecarView,
  type VirtualServiceView,
  virtualServiceView,
} from "./views.ts";

export interface PushContextInput {
  readonly services: readonly Service[];
  /** Every instance (or `instanceLists`). */
  readonly instances?: readonly ServiceInstance[];
  /**
   * Instances by hostname, in hostname order: a list that is the same array as in `previous` keeps that context's
   * index of it (an endpoint edit re-indexes one hostname, not the mesh).
   */
  readonly instanceLists?: ReadonlyMap<string, readonly ServiceInstance[]>;
  readonly previous?: PushContext;
  readonly workloads?: readonly Workload[];
  /** Validated config objects; kinds other than VirtualService, DestinationRule, Gateway and Sidecar are ignored. */
  readonly config: ConfigInput;
  /** Default "cluster.local". */
  readonly domainSuffix?: string;
  /** Where mesh-wide defaults (Sidecar, DestinationRule) live; default "istio-system". */
  readonly rootNamespace?: string;
}

export interface PushContext {
  readonly domainSuffix: string;
  readonly rootNamespace: string;
  /** All services, sorted by hostname. */
  readonly services: readonly Service[];
  readonly workloads: readonly Workload[];
  /** In config order. */
  readonly virtualServices: readonly VirtualServiceView[];
  readonly destinationRules: readonly DestinationRuleView[];
  readonly gateways: readonly GatewayView[];
  readonly sidecars: readonly SidecarView[];
  service(hostname: string): Service | undefined;
  /** Instances of a service port (by service port number), only those carrying `labels` when given. */
  instances(hostname: string, servicePort: number, labels?: Labels): readonly ServiceInstance[];
  /** Instances whose address is `address` (a proxy's own instances). */
  instancesAt(address: string): readonly ServiceInstance[];
  /** Resolves a host written in a config object of `namespace` (short names → FQDN). */
  resolveHost(host: string, namespace: string): string;
  /** VirtualServices bound to "mesh" or to a "namespace/name" gateway, in config order. */
  virtualServicesFor(gateway: string): readonly VirtualServiceView[];
  destinationRule(proxy: ProxyIdentity, hostname: string): DestinationRuleView | undefined;
  /** Gateways whose selector matches the proxy's labels (an empty selector matches every gateway proxy). */
  gatewaysFor(proxy: ProxyIdentity): readonly GatewayView[];
  sidecarScope(proxy: ProxyIdentity): SidecarScope;
}

/**
 * A config object's view, kept with the object (objects are frozen and handed out again while unchanged): an
 * edit leaves the other views the same objects, so what is memoized on them (routing prints) stays valid.
 */
const views = new WeakMap<ConfigObject, { readonly domainSuffix: string; readonly view: unknown }>();

function viewOf<V>(
  o: ConfigObject,
  domainSuffix: string,
  make: (o: ConfigObject, domainSuffix: string) => V,
): V {
  const known = views.get(o);
  if (known !== undefined && known.domainSuffix === domainSuffix) return known.view as V;
  const view = Object.freeze(make(o, domainSuffix)); // shared by every push context from now on
  views.set(o, { domainSuffix, view });
  return view;
}

export function createPushContext(input: PushContextInput): PushContext {
  const domainSuffix = input.domainSuffix ?? "cluster.local";
  const rootNamespace = input.rootNamespace ?? "istio-system";
  const services = Object.freeze([...input.services].sort((a, b) => compare(a.hostname, b.hostname)));
  const byHost = new Map(services.map((s) => [s.hostname, s]));
  const index = input.instanceLists !== undefined
    ? indexInstances(input.instanceLists, input.previous && instanceIndexes.get(input.previous))
    : flatIndex(input.instances ?? []);
  const { byHostPort } = index;
  const list = kindLists(input.config);
  const viewsOf = <V>(kind: string, make: (o: ConfigObject, domainSuffix: string) => V) =>
    Object.freeze(list(kind).map((o) => viewOf(o, domainSuffix, make)));
  const virtualServices = viewsOf("VirtualService", virtualServiceView);
  const vsByGateway = new Map<string, VirtualServiceView[]>();
  for (const vs of virtualServices) for (const g of boundGateways(vs)) push(vsByGateway, g, vs);
  const destinationRules = viewsOf("DestinationRule", destinationRuleView);
  const gateways = viewsOf("Gateway", gatewayView);
  const sidecars = viewsOf("Sidecar", sidecarView);
  const scopes = new Map<string, SidecarScope>();

  const context: PushContext = Object.freeze({
    domainSuffix,
    rootNamespace,
    services,
    workloads: Object.freeze([...(input.workloads ?? [])]),
    virtualServices,
    destinationRules,
    gateways,
    sidecars,
    service: (hostname: string) => byHost.get(hostname),
    instances(hostname: string, servicePort: number, labels?: Labels) {
      const list = byHostPort.get(hostname)?.get(servicePort) ?? [];
      return labels === undefined ? list : list.filter((i) => matchesSelector(i.labels, labels));
    },
    instancesAt: (address: string) => instancesAt(index, address),
    resolveHost: (host: string, namespace: string) => resolveHost(host, namespace, domainSuffix),
    virtualServicesFor: (gateway: string) => vsByGateway.get(gateway) ?? [],
    destinationRule(proxy: ProxyIdentity, hostname: string) {
      return selectDestinationRule(
        destinationRules,
        hostname,
        byHost.get(hostname)?.namespace,
        proxy,
        rootNamespace,
      );
    },
    gatewaysFor(proxy: ProxyIdentity) {
      return gateways.filter((g) => matchesSelector(proxy.labels, g.spec.selector));
    },
    sidecarScope(proxy: ProxyIdentity) {
      const sidecar = selectSidecar(sidecars, proxy, rootNamespace);
      const key = `${proxy.namespace}|${sidecar?.namespace}/${sidecar?.name}`;
      let scope = scopes.get(key);
      if (scope === undefined) scopes.set(key, scope = createSidecarScope(sidecar, proxy, services));
      return scope;
    },
  });
  instanceIndexes.set(context, index);
  return context;
}

/** Each push context's instance index, for the next context to start from. */
const instanceIndexes = new WeakMap<PushContext, InstanceIndex>();

/** The index of a flat instance list (addresses in input order). */
function flatIndex(instances: readonly ServiceInstance[]): InstanceIndex {
  const lists = new Map<string, ServiceInstance[]>();
  const byHostPort = new Map<string, Map<number, ServiceInstance[]>>();
  const byAddress = new Map<string, ServiceInstance[]>();
  for (const i of instances) {
    push(lists, i.hostname, i);
    let ports = byHostPort.get(i.hostname);
    if (ports === undefined) byHostPort.set(i.hostname, ports = new Map());
    push(ports, i.servicePort, i);
    push(byAddress, i.address, i);
  }
  return { lists, byHostPort, base: byAddress, changed: new Map() };
}

/** A push context over a registry's current services and instances, indexed from `previous` where unchanged. */
export function pushContextFromRegistry(
  registry: ServiceRegistry & { instanceList?(hostname: string): readonly ServiceInstance[] },
  config: ConfigInput,
  options: {
    readonly domainSuffix?: string;
    readonly rootNamespace?: string;
    readonly previous?: PushContext;
  } = {},
): PushContext {
  const services = [...registry.services()].sort((a, b) => compare(a.hostname, b.hostname));
  const instanceLists = new Map<string, readonly ServiceInstance[]>();
  for (const s of services) {
    instanceLists.set(s.hostname, registry.instanceList?.(s.hostname) ?? registry.instances(s.hostname));
  }
  return createPushContext({
    services,
    instanceLists,
    workloads: registry.workloads(),
    config,
    ...options,
  });
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
