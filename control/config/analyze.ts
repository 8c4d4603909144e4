// Cross-object checks like `istioctl analyze`, with Istio's message codes (IST0101, IST0109, IST0112, IST0127, IST0132).
import type { ConfigObject, Service } from "../model/types.ts";
import type { AnalysisIndex, KnownService } from "./analyze-index.ts";
import { createAnalysisIndex, formatLabels, gatewayRef, selects } from "./analyze-index.ts";
import type { ConfigSnapshot } from "./config-store.ts";
import { hostsOverlap, resolveHost } from "./host-names.ts";
import type { Position } from "./parse.ts";
import type { ConfigProblem } from "./problem.ts";
import { field } from "./problem.ts";
import { list, num, obj, str } from "./validate-common.ts";

export type Locate = (o: ConfigObject, fieldPath: string) => Position | undefined;

/**
 * Checks references between objects: destination hosts and subsets, gateways, conflicting mesh VirtualServices,
 * selectors that pick no workload. `registryServices` adds hosts known from elsewhere (registration API, …).
 * Workload checks run only when the config holds some workloads (Pods, WorkloadEntries, Deployments…).
 */
export function analyze(
  input: ConfigSnapshot | readonly ConfigObject[],
  registryServices: readonly Service[] = [],
  locate?: Locate,
): ConfigProblem[] {
  const objects = "all" in input ? input.all() : input;
  const index = createAnalysisIndex(objects, registryServices);
  const problems: ConfigProblem[] = [];
  const report = (
    o: ConfigObject,
    fieldPath: string,
    code: string,
    severity: "error" | "warning",
    message: string,
  ) => {
    const pos = locate?.(o, fieldPath);
    problems.push({
      file: o.source?.file ?? "",
      line: pos?.line ?? o.source?.line ?? 0,
      column: pos?.column,
      kind: o.kind,
      name: o.name,
      namespace: o.namespace,
      field: fieldPath,
      message,
      severity,
      code,
    });
  };
  for (const o of objects) {
    if (o.kind === "VirtualService") checkVirtualService(o, index, report);
    else if (o.kind === "Gateway") checkGatewaySelector(o, index, report);
    else if (o.kind === "DestinationRule") checkSubsetWorkloads(o, index, report);
    else if (o.kind === "Sidecar") checkSidecarSelector(o, index, report);
  }
  checkMeshHostConflicts(objects.filter((o) => o.kind === "VirtualService"), report);
  return problems;
}

type Report = (
  o: ConfigObject,
  fieldPath: string,
  code: string,
  severity: "error" | "warning",
  message: string,
) => void;

function checkVirtualService(vs: ConfigObject, index: AnalysisIndex, report: Report): void {
  for (const { path, destination } of destinationsOf(vs)) {
    const host = str(destination.host);
    if (host === undefined || host.includes("*")) continue;
    const resolved = resolveHost(host, vs.namespace);
    const service = index.service(resolved);
    if (service === undefined) {
      report(
        vs,
        field(path, "host"),
        "IST0101",
        "error",
        `Referenced host not found: ${JSON.stringify(host)}`,
      );
      continue;
    }
    const subset = str(destination.subset);
    if (
      subset !== undefined &&
      !index.rulesFor(resolved).some((r) => list(r.spec.subsets).some((s) => obj(s)?.name === subset))
    ) {
      report(
        vs,
        field(path, "subset"),
        "IST0101",
        "error",
        `Referenced host+subset in destinationrule not found: ${JSON.stringify(`${host}+${subset}`)}`,
      );
    }
    if (num(obj(destination.port)?.number) === undefined && service.ports.length > 1) {
      report(
        vs,
        path,
        "IST0112",
        "error",
        `This VirtualService routes to a service ${JSON.stringify(host)} that exposes multiple ports [${
          service.ports.join(" ")
        }]. Specifying a port in the destination is required to disambiguate.`,
      );
    }
  }
  const hosts = list(vs.spec.hosts).map(str).filter((h): h is string => h !== undefined).map((h) =>
    resolveHost(h, vs.namespace)
  );
  const refs: { path: string; ref: string }[] = [];
  list(vs.spec.gateways).forEach((g, i) =>
    typeof g === "string" && refs.push({ path: field("spec.gateways", i), ref: g })
  );
  list(vs.spec.http).forEach((r, i) =>
    list(obj(r)?.match).forEach((m, j) =>
      list(obj(m)?.gateways).forEach((g, k) =>
        typeof g === "string" && refs.push({ path: `spec.http[${i}].match[${j}].gateways[${k}]`, ref: g })
      )
    )
  );
  for (const { path, ref } of refs) {
    if (ref === "mesh") continue;
    const { namespace, name } = gatewayRef(ref, vs.namespace);
    const gateway = index.gateway(namespace, name);
    if (gateway === undefined) {
      report(vs, path, "IST0101", "error", `Referenced gateway not found: ${JSON.stringify(ref)}`);
      continue;
    }
    if (!path.startsWith("spec.gateways")) continue;
    const serverHosts = list(gateway.spec.servers).flatMap((s) => list(obj(s)?.hosts)).map(str).filter((
      h,
    ): h is string => h !== undefined)
      .filter((h) => !h.includes("/") || ["*", ".", vs.namespace].includes(h.split("/")[0]))
      .map((h) => (h.includes("/") ? h.split("/")[1] : h));
    const missing = hosts.filter((h) => !serverHosts.some((s) => hostsOverlap(h, s)));
    if (missing.length > 0) {
      report(
        vs,
        "spec.hosts",
        "IST0132",
        "warning",
        `one or more host [${
          missing.join(" ")
        }] defined in VirtualService ${vs.namespace}/${vs.name} not found in Gateway ${namespace}/${name}.`,
      );
    }
  }
}

/** Every destination a VirtualService sends traffic (or mirrors) to, with its field path. */
function destinationsOf(vs: ConfigObject): { path: string; destination: Record<string, unknown> }[] {
  const out: { path: string; destination: Record<string, unknown> }[] = [];
  const add = (path: string, d: unknown) => {
    const destination = obj(d);
    if (destination !== undefined) out.push({ path, destination });
  };
  for (const kind of ["http", "tcp", "tls"]) {
    list(vs.spec[kind]).forEach((r, i) => {
      const rule = obj(r) ?? {};
      const at = field(`spec.${kind}`, i);
      list(rule.route).forEach((d, j) =>
        add(field(field(field(at, "route"), j), "destination"), obj(d)?.destination)
      );
      if (rule.mirror !== undefined) add(field(at, "mirror"), rule.mirror);
      list(rule.mirrors).forEach((m, j) =>
        add(field(field(field(at, "mirrors"), j), "destination"), obj(m)?.destination)
      );
    });
  }
  return out;
}

function checkGatewaySelector(gw: ConfigObject, index: AnalysisIndex, report: Report): void {
  const selector = obj(gw.spec.selector) as Record<string, string> | undefined;
  if (selector === undefined || Object.keys(selector).length === 0 || index.workloads.length === 0) return;
  if (!index.workloads.some((w) => selects(selector, w.labels))) {
    report(
      gw,
      "spec.selector",
      "IST0101",
      "error",
      `Referenced selector not found: ${JSON.stringify(formatLabels(selector))}`,
    );
  }
}

function checkSidecarSelector(sc: ConfigObject, index: AnalysisIndex, report: Report): void {
  const selector = obj(obj(sc.spec.workloadSelector)?.labels) as Record<string, string> | undefined;
  if (selector === undefined || Object.keys(selector).length === 0 || index.workloads.length === 0) return;
  if (!index.workloads.some((w) => w.namespace === sc.namespace && selects(selector, w.labels))) {
    report(
      sc,
      "spec.workloadSelector",
      "IST0127",
      "warning",
      `No matching workloads for this resource with the following labels: ${formatLabels(selector)}`,
    );
  }
}

/** A subset whose labels pick none of its service's workloads (when the service has some we know of). */
function checkSubsetWorkloads(dr: ConfigObject, index: AnalysisIndex, report: Report): void {
  const host = str(dr.spec.host);
  if (host === undefined || host.includes("*") || index.workloads.length === 0) return;
  const service = index.service(resolveHost(host, dr.namespace));
  if (service === undefined) return;
  const candidates = workloadsOfService(service, index);
  if (candidates.length === 0) return;
  list(dr.spec.subsets).forEach((s, i) => {
    const labels = obj(obj(s)?.labels) as Record<string, string> | undefined;
    if (labels === undefined || Object.keys(labels).length === 0) return;
    if (!candidates.some((w) => selects(labels, w))) {
      report(
        dr,
        field(field("spec.subsets", i), "labels"),
        "IST0127",
        "warning",
        `No matching workloads for this resource with the following labels: ${formatLabels(labels)}`,
      );
    }
  });
}

function workloadsOfService(service: KnownService, index: AnalysisIndex): Readonly<Record<string, string>>[] {
  const source = service.source;
  if (source?.kind === "ServiceEntry" && list(source.spec.endpoints).length > 0) {
    return index.workloads.filter((w) =>
      w.kind === "ServiceEntry endpoint" && w.name === source.name && w.namespace === source.namespace
    ).map((w) => w.labels);
  }
  const selector = service.selector;
  if (selector === undefined || Object.keys(selector).length === 0) return [];
  return index.workloads.filter((w) =>
    w.namespace === service.namespace && w.kind !== "ServiceEntry endpoint" && selects(selector, w.labels)
  ).map((w) => w.labels);
}

/** IST0109: two VirtualServices on the mesh gateway for the same host. */
function checkMeshHostConflicts(services: readonly ConfigObject[], report: Report): void {
  const byHost = new Map<string, { vs: ConfigObject; index: number }[]>();
  for (const vs of services) {
    const gateways = list(vs.spec.gateways);
    if (gateways.length > 0 && !gateways.includes("mesh")) continue;
    list(vs.spec.hosts).forEach((h, i) => {
      if (typeof h !== "string") return;
      const host = resolveHost(h, vs.namespace);
      byHost.set(host, [...(byHost.get(host) ?? []), { vs, index: i }]);
    });
  }
  for (const [host, entries] of byHost) {
    // The same namespace/name twice is one resource defined twice (a duplicate, reported as such), not a conflict.
    const names = [...new Set(entries.map((e) => `${e.vs.namespace}/${e.vs.name}`))].join(",");
    if (!names.includes(",")) continue;
    for (const { vs, index } of entries) {
      report(
        vs,
        field("spec.hosts", index),
        "IST0109",
        "error",
        `The VirtualServices ${names} associated with mesh gateway define the same host ${host} which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
      );
    }
  }
}
