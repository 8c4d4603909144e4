// What analyze looks things up in: known service hosts, gateways, destination-rule subsets, and workloads.
import type { ConfigObject, Service } from "../model/types.ts";
import { hostCoveredBy, resolveHost } from "./host-names.ts";
import { list, obj, str } from "./validate-common.ts";

/** A workload whose labels a selector can match: a Pod, a WorkloadEntry, or a controller's pod template. */
export interface KnownWorkload {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface KnownService {
  readonly hostname: string;
  readonly namespace: string;
  /** Kubernetes Services: the selector picking their pods; ServiceEntries: their workloadSelector. */
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports: readonly number[];
  /** The Service or ServiceEntry it comes from (none for registry services). */
  readonly source?: ConfigObject;
}

export interface AnalysisIndex {
  readonly objects: readonly ConfigObject[];
  readonly workloads: readonly KnownWorkload[];
  /** The service a (resolved) host names, if any; ServiceEntry wildcards cover the names under them. */
  service(host: string): KnownService | undefined;
  /** DestinationRules (with their resolved hosts) that apply to a resolved host. */
  rulesFor(host: string): readonly ConfigObject[];
  gateway(namespace: string, name: string): ConfigObject | undefined;
}

const CONTROLLERS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"]);

export function createAnalysisIndex(
  objects: readonly ConfigObject[],
  registryServices: readonly Service[] = [],
): AnalysisIndex {
  const services: KnownService[] = [];
  for (const o of objects) {
    if (o.kind === "Service") {
      const ports = list(o.spec.ports).map((p) => obj(p)?.port).filter((n): n is number =>
        typeof n === "number"
      );
      services.push({
        hostname: `${o.name}.${o.namespace}.svc.cluster.local`,
        namespace: o.namespace,
        selector: stringMap(o.spec.selector),
        ports,
        source: o,
      });
    } else if (o.kind === "ServiceEntry") {
      const ports = list(o.spec.ports).map((p) => obj(p)?.number).filter((n): n is number =>
        typeof n === "number"
      );
      const selector = stringMap(obj(o.spec.workloadSelector)?.labels);
      for (const h of list(o.spec.hosts)) {
        if (typeof h === "string") {
          services.push({
            hostname: resolveHost(h, o.namespace),
            namespace: o.namespace,
            selector,
            ports,
            source: o,
          });
        }
      }
    }
  }
  for (const s of registryServices) {
    services.push({
      hostname: s.hostname,
      namespace: s.namespace,
      selector: s.selector,
      ports: s.ports.map((p) => p.port),
    });
  }
  const rules = objects.filter((o) => o.kind === "DestinationRule");
  const gateways = new Map(
    objects.filter((o) => o.kind === "Gateway").map((o) => [`${o.namespace}/${o.name}`, o]),
  );
  return {
    objects,
    workloads: workloadsOf(objects),
    service: (host) =>
      services.find((s) => s.hostname === host) ?? services.find((s) => hostCoveredBy(host, s.hostname)),
    rulesFor: (host) =>
      rules.filter((r) =>
        typeof r.spec.host === "string" && hostCoveredBy(host, resolveHost(r.spec.host, r.namespace))
      ),
    gateway: (namespace, name) => gateways.get(`${namespace}/${name}`),
  };
}

function workloadsOf(objects: readonly ConfigObject[]): KnownWorkload[] {
  const out: KnownWorkload[] = [];
  for (const o of objects) {
    if (o.kind === "Pod") out.push({ kind: o.kind, name: o.name, namespace: o.namespace, labels: o.labels });
    else if (o.kind === "WorkloadEntry") {
      out.push({
        kind: o.kind,
        name: o.name,
        namespace: o.namespace,
        labels: { ...o.labels, ...stringMap(o.spec.labels) },
      });
    } else if (CONTROLLERS.has(o.kind)) {
      const labels = stringMap(obj(obj(o.spec.template)?.metadata)?.labels);
      if (labels !== undefined) out.push({ kind: o.kind, name: o.name, namespace: o.namespace, labels });
    } else if (o.kind === "ServiceEntry") {
      for (const e of list(o.spec.endpoints)) {
        const labels = stringMap(obj(e)?.labels) ?? {};
        out.push({ kind: "ServiceEntry endpoint", name: o.name, namespace: o.namespace, labels });
      }
    }
  }
  return out;
}

/** Whether every selector label is on the workload (an empty selector selects everything). */
export function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
}

/** A VirtualService's gateway reference → namespace/name ("name", "ns/name", legacy "name.ns[.svc…]"). */
export function gatewayRef(ref: string, namespace: string): { namespace: string; name: string } {
  const slash = ref.indexOf("/");
  if (slash >= 0) return { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
  const [name, ns] = ref.split(".");
  return { namespace: ns ?? namespace, name };
}

function stringMap(v: unknown): Record<string, string> | undefined {
  const o = obj(v);
  if (o === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) if (str(val) !== undefined) out[k] = val as string;
  return out;
}
