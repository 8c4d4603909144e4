// Which kinds Weft reads (and at which apiVersions), which it keeps unvalidated, and which it passes over.
import { didYouMean } from "../../proxy/config/suggest.ts";
import type { ConfigObject } from "../model/types.ts";
import type { MessageSchema, Reporter } from "./schema.ts";
import { checkShape } from "./schema.ts";
import {
  DESTINATION_RULE,
  GATEWAY,
  SERVICE_ENTRY,
  SIDECAR,
  VIRTUAL_SERVICE,
  WORKLOAD_ENTRY,
} from "./schema-networking.ts";
import { checkSelector, obj } from "./validate-common.ts";
import { validateDestinationRule } from "./validate-destination-rule.ts";
import { validateGateway } from "./validate-gateway.ts";
import {
  validateEndpoints,
  validateEndpointSlice,
  validatePod,
  validateService,
} from "./validate-kubernetes.ts";
import { validateServiceEntry, validateWorkloadEntry } from "./validate-service-entry.ts";
import { validateSidecar } from "./validate-sidecar.ts";
import { validateVirtualService } from "./validate-virtual-service.ts";

export interface KindInfo {
  readonly group: string;
  readonly kind: string;
  readonly versions: readonly string[];
  /** "validated": checked in full; "stored": kept as written (security policies; workload controllers for analyze). */
  readonly disposition: "validated" | "stored";
  /** Checks the object's body; field paths in reports start at the document root. */
  readonly validate?: (o: ConfigObject, report: Reporter) => void;
}

const NETWORKING = "networking.istio.io";
const SECURITY = "security.istio.io";
const NETWORKING_VERSIONS = ["v1", "v1beta1", "v1alpha3"];
const SECURITY_VERSIONS = ["v1", "v1beta1"];

/** Istio kinds: the spec must match the schema exactly (Istio rejects unknown fields), then the kind's own checks. */
function istio(kind: string, schema: MessageSchema, check: (o: ConfigObject, r: Reporter) => void): KindInfo {
  return {
    group: NETWORKING,
    kind,
    versions: NETWORKING_VERSIONS,
    disposition: "validated",
    validate: (o, r) => {
      checkShape(o.spec, schema, "spec", r);
      check(o, r);
    },
  };
}

function security(kind: string): KindInfo {
  const validate = (o: ConfigObject, r: Reporter) => {
    const selector = obj(o.spec.selector);
    if (selector !== undefined) checkSelector(selector.matchLabels ?? {}, "spec.selector.matchLabels", r);
  };
  return { group: SECURITY, kind, versions: SECURITY_VERSIONS, disposition: "stored", validate };
}

function core(group: string, kind: string, versions: string[], validate?: KindInfo["validate"]): KindInfo {
  return { group, kind, versions, disposition: validate ? "validated" : "stored", validate };
}

export const KINDS: readonly KindInfo[] = [
  istio("VirtualService", VIRTUAL_SERVICE, validateVirtualService),
  istio("DestinationRule", DESTINATION_RULE, validateDestinationRule),
  istio("Gateway", GATEWAY, validateGateway),
  istio("ServiceEntry", SERVICE_ENTRY, validateServiceEntry),
  istio("WorkloadEntry", WORKLOAD_ENTRY, validateWorkloadEntry),
  istio("Sidecar", SIDECAR, validateSidecar),
  security("PeerAuthentication"),
  security("AuthorizationPolicy"),
  security("RequestAuthentication"),
  core("", "Service", ["v1"], validateService),
  core("", "Endpoints", ["v1"], validateEndpoints),
  core("", "Pod", ["v1"], validatePod),
  core("discovery.k8s.io", "EndpointSlice", ["v1"], validateEndpointSlice),
  // Workload controllers: kept so `weft analyze` can see which pod labels exist (their pod templates).
  core("apps", "Deployment", ["v1"]),
  core("apps", "StatefulSet", ["v1"]),
  core("apps", "DaemonSet", ["v1"]),
  core("apps", "ReplicaSet", ["v1"]),
];

/** Istio kinds Weft knows but does not implement: accepted with a warning, never silently. */
const ISTIO_UNSUPPORTED = new Set(["EnvoyFilter", "WorkloadGroup", "ProxyConfig"]);
/** Kubernetes kinds that Istio's samples mix in and that mean nothing to a mesh's routing: no message at all. */
const SILENT_CORE = new Set([
  "ServiceAccount",
  "ConfigMap",
  "Secret",
  "Namespace",
  "PersistentVolumeClaim",
  "PersistentVolume",
  "ResourceQuota",
  "LimitRange",
  "ReplicationController",
]);
const SILENT_GROUPS = new Set([
  "apps",
  "batch",
  "rbac.authorization.k8s.io",
  "autoscaling",
  "policy",
  "networking.k8s.io",
  "apiextensions.k8s.io",
  "admissionregistration.k8s.io",
  "storage.k8s.io",
  "scheduling.k8s.io",
  "coordination.k8s.io",
]);

export type KindClass =
  | { readonly status: "known"; readonly info: KindInfo }
  | { readonly status: "ignored" }
  | {
    readonly status: "rejected";
    readonly severity: "error" | "warning";
    readonly message: string;
    readonly field: string;
  };

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Decides what to do with a document of this apiVersion and kind. */
export function classifyKind(apiVersion: string, kind: string): KindClass {
  const { group, version } = splitApiVersion(apiVersion);
  const info = KINDS.find((k) => k.group === group && k.kind === kind);
  if (info !== undefined) {
    if (info.versions.includes(version)) return { status: "known", info };
    const wanted = info.versions.map((v) => (group ? `${group}/${v}` : v)).join(", ");
    return {
      status: "rejected",
      severity: "error",
      field: "apiVersion",
      message: `unsupported apiVersion ${JSON.stringify(apiVersion)} for ${kind}; use ${wanted}`,
    };
  }
  if (group === NETWORKING || group === SECURITY) {
    if (ISTIO_UNSUPPORTED.has(kind)) {
      return {
        status: "rejected",
        severity: "warning",
        field: "kind",
        message: `${kind} is not supported by Weft; ignored`,
      };
    }
    const known = KINDS.filter((k) => k.group === group).map((k) => k.kind);
    const hint = didYouMean(kind, known) || ` (known: ${known.join(", ")})`;
    return {
      status: "rejected",
      severity: "error",
      field: "kind",
      message: `unknown kind ${JSON.stringify(kind)} in ${group}${hint}`,
    };
  }
  if ((group === "" && SILENT_CORE.has(kind)) || SILENT_GROUPS.has(group)) return { status: "ignored" };
  return {
    status: "rejected",
    severity: "warning",
    field: "kind",
    message: `${kind} (${apiVersion}) is not used by Weft; ignored`,
  };
}
