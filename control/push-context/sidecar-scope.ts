// The Sidecar scope of one proxy: which services and VirtualServices its egress hosts let it see.
import type { ProxyIdentity, Service } from "../model/types.ts";
import { matchesSelector } from "../registry/labels.ts";
import {
  hostIntersection,
  isExportedTo,
  type NamespacedHost,
  namespacedHostMatches,
  parseNamespacedHost,
} from "./hosts.ts";
import type { SidecarView, VirtualServiceView } from "./views.ts";

export interface SidecarScope {
  /** The Sidecar resource in force, or undefined (everything visible). */
  readonly sidecar: SidecarView | undefined;
  /** The visible services, sorted by hostname. */
  readonly services: readonly Service[];
  isServiceVisible(service: Service): boolean;
  isVirtualServiceVisible(vs: VirtualServiceView): boolean;
}

/**
 * Picks the Sidecar for a proxy as Istio does: one in the proxy's namespace whose workloadSelector matches
 * its labels, else the namespace's selector-less one, else the root namespace's selector-less one.
 * Ties go to the first in config order.
 */
export function selectSidecar(
  sidecars: readonly SidecarView[],
  proxy: ProxyIdentity,
  rootNamespace: string,
): SidecarView | undefined {
  const local = sidecars.filter((s) => s.namespace === proxy.namespace);
  return local.find((s) => s.selector !== undefined && matchesSelector(proxy.labels, s.selector)) ??
    local.find((s) => s.selector === undefined) ??
    sidecars.find((s) => s.namespace === rootNamespace && s.selector === undefined);
}

export function createSidecarScope(
  sidecar: SidecarView | undefined,
  proxy: ProxyIdentity,
  services: readonly Service[],
): SidecarScope {
  // "." in a Sidecar means the proxy's namespace (also for the mesh-wide default in the root namespace).
  const egress: readonly NamespacedHost[] | undefined = sidecar?.egressHosts?.map((h) =>
    parseNamespacedHost(h.includes("/") ? h : `*/${h}`, proxy.namespace)
  );
  const isServiceVisible = (svc: Service) =>
    egress === undefined || egress.some((e) => namespacedHostMatches(e, svc.namespace, svc.hostname));
  const visible = services.filter(isServiceVisible);
  return {
    sidecar,
    services: visible,
    isServiceVisible,
    isVirtualServiceVisible(vs) {
      if (!isExportedTo(vs.exportTo, vs.namespace, proxy.namespace)) return false;
      if (egress === undefined) return true;
      return egress.some((e) =>
        e.namespace !== "~" && (e.namespace === "*" || e.namespace === vs.namespace) &&
        vs.hosts.some((h) => hostIntersection(e.host, h) !== undefined)
      );
    },
  };
}
