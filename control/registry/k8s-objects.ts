// Typed, defensive readers for the Kubernetes objects the registry uses (Service, EndpointSlice, Endpoints, Pod).
import type { ConfigObject } from "../model/types.ts";

export interface K8sServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort?: number | string;
  readonly protocol?: string;
  readonly appProtocol?: string;
}

export interface K8sServiceSpec {
  readonly ports?: readonly K8sServicePort[];
  readonly selector?: Readonly<Record<string, string>>;
  readonly clusterIP?: string;
  readonly type?: string;
  readonly externalName?: string;
}

export interface K8sObjectRef {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

export interface K8sEndpointPort {
  readonly name?: string;
  readonly port?: number;
  readonly protocol?: string;
}

export interface K8sSliceEndpoint {
  readonly addresses?: readonly string[];
  readonly conditions?: { readonly ready?: boolean };
  readonly targetRef?: K8sObjectRef;
}

export interface K8sEndpointAddress {
  readonly ip?: string;
  readonly targetRef?: K8sObjectRef;
}

export interface K8sEndpointsSubset {
  readonly addresses?: readonly K8sEndpointAddress[];
  readonly notReadyAddresses?: readonly K8sEndpointAddress[];
  readonly ports?: readonly K8sEndpointPort[];
}

export interface K8sContainerPort {
  readonly name?: string;
  readonly containerPort?: number;
}

export interface K8sPodSpec {
  readonly containers?: readonly { readonly ports?: readonly K8sContainerPort[] }[];
  readonly serviceAccountName?: string;
  readonly serviceAccount?: string;
}

export interface K8sPodStatus {
  readonly podIP?: string;
  readonly podIPs?: readonly { readonly ip?: string }[];
  readonly phase?: string;
  readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
}

/** EndpointSlice / Endpoints / Pod keep some data beside `spec`: read it from spec first, then from the object. */
function topLevel(obj: ConfigObject, key: string): unknown {
  const spec = obj.spec as Record<string, unknown> | undefined;
  const inSpec = spec?.[key];
  if (inSpec !== undefined) return inSpec;
  return (obj as unknown as Record<string, unknown>)[key];
}

function list<T>(value: unknown): readonly T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

export function serviceSpec(obj: ConfigObject): K8sServiceSpec {
  return (obj.spec ?? {}) as K8sServiceSpec;
}

export function sliceServiceName(obj: ConfigObject): string | undefined {
  return obj.labels["kubernetes.io/service-name"];
}

export function sliceEndpoints(obj: ConfigObject): readonly K8sSliceEndpoint[] {
  return list(topLevel(obj, "endpoints"));
}

export function slicePorts(obj: ConfigObject): readonly K8sEndpointPort[] {
  return list(topLevel(obj, "ports"));
}

export function endpointsSubsets(obj: ConfigObject): readonly K8sEndpointsSubset[] {
  return list(topLevel(obj, "subsets"));
}

/** The config parser gives a Pod's whole body `{ spec, status }` as ConfigObject.spec; a bare PodSpec works too. */
export function podSpec(obj: ConfigObject): K8sPodSpec {
  const body = (obj.spec ?? {}) as Record<string, unknown>;
  const inner = body.spec;
  return (inner !== null && typeof inner === "object" ? inner : body) as K8sPodSpec;
}

export function podStatus(obj: ConfigObject): K8sPodStatus {
  return (topLevel(obj, "status") ?? {}) as K8sPodStatus;
}

/** Gives a file-only Pod its IP when it has no status (the config package's convention). */
export const POD_IP_ANNOTATION = "weft.io/pod-ip";

/** The Pod's IP: status.podIP, else the first status.podIPs entry, else the weft.io/pod-ip annotation. */
export function podIP(obj: ConfigObject): string | undefined {
  const status = podStatus(obj);
  return status.podIP ?? status.podIPs?.find((p) => p.ip !== undefined)?.ip ??
    obj.annotations[POD_IP_ANNOTATION];
}

/** Running (or pending with an IP) and not marked Ready=False. */
export function podReady(obj: ConfigObject): boolean {
  const status = podStatus(obj);
  if (status.phase === "Succeeded" || status.phase === "Failed") return false;
  return !status.conditions?.some((c) => c.type === "Ready" && c.status === "False");
}

export function podServiceAccount(obj: ConfigObject): string {
  const spec = podSpec(obj);
  return spec.serviceAccountName ?? spec.serviceAccount ?? "default";
}

/** The container port named `name` in the Pod, if any. */
export function podNamedPort(obj: ConfigObject, name: string): number | undefined {
  for (const c of podSpec(obj).containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === name && typeof p.containerPort === "number") return p.containerPort;
    }
  }
  return undefined;
}
