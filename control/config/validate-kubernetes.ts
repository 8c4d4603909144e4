// Kubernetes kinds the registries read: Service, Endpoints, EndpointSlice, Pod (only the fields Weft uses).
import type { ConfigObject } from "../model/types.ts";
import { field } from "./problem.ts";
import type { MessageSchema, Reporter } from "./schema.ts";
import { checkShape, STRING_LIST, STRING_MAP } from "./schema.ts";
import { checkLabels, checkPort, isDNS1123Label, isIP, list, num, obj, str } from "./validate-common.ts";

/** Annotation giving a Pod's IP when the YAML has no status.podIP (hand-written pods for local runs). */
export const POD_IP_ANNOTATION = "weft.io/pod-ip";
/** The label tying an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

const open = (fields: MessageSchema["fields"]): MessageSchema => ({ fields, open: true });
const K8S_PROTOCOL = { enum: ["TCP", "UDP", "SCTP"] } as const;
const ENDPOINT_PORT = open({ name: "string", port: "uint", protocol: K8S_PROTOCOL, appProtocol: "string" });

const SERVICE_SPEC = open({
  ports: {
    list: open({
      name: "string",
      protocol: K8S_PROTOCOL,
      appProtocol: "string",
      port: "uint",
      targetPort: "any",
      nodePort: "uint",
    }),
  },
  selector: STRING_MAP,
  clusterIP: "string",
  clusterIPs: STRING_LIST,
  type: { enum: ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] },
  externalName: "string",
});

const ENDPOINT_SLICE = open({
  addressType: { enum: ["IPv4", "IPv6", "FQDN"] },
  endpoints: {
    list: open({
      addresses: STRING_LIST,
      conditions: open({ ready: "bool", serving: "bool", terminating: "bool" }),
      hostname: "string",
    }),
  },
  ports: { list: ENDPOINT_PORT },
});

const ADDRESS = open({ ip: "string", hostname: "string", nodeName: "string" });
const ENDPOINTS = open({
  subsets: {
    list: open({
      addresses: { list: ADDRESS },
      notReadyAddresses: { list: ADDRESS },
      ports: { list: ENDPOINT_PORT },
    }),
  },
});
const POD = open({
  spec: open({ serviceAccountName: "string" }),
  status: open({ podIP: "string", phase: "string" }),
});

export function validateService(o: ConfigObject, report: Reporter): void {
  checkShape(o.spec, SERVICE_SPEC, "spec", report);
  const ports = list(o.spec.ports);
  const external = o.spec.type === "ExternalName";
  if (ports.length === 0 && !external && o.spec.clusterIP !== "None") {
    report.warn("spec.ports", "service has no ports");
  }
  const names = new Set<string>();
  /** "port/PROTOCOL" → the index that has it: Kubernetes rejects a Service that repeats one. */
  const numbers = new Map<string, number>();
  ports.forEach((p, i) => {
    const at = field("spec.ports", i);
    const port = obj(p);
    if (port === undefined) return report.error(at, "port may not be null");
    if (num(port.port) === undefined) report.error(field(at, "port"), "port is required");
    checkPort(port.port, field(at, "port"), report);
    if (num(port.port) !== undefined) {
      const key = `${port.port}/${str(port.protocol) ?? "TCP"}`;
      const first = numbers.get(key);
      if (first !== undefined) {
        report.error(field(at, "port"), `duplicate port ${key}: spec.ports[${first}] has it already`);
      } else numbers.set(key, i);
    }
    const name = str(port.name);
    if (ports.length > 1 && !name) {
      report.error(field(at, "name"), "port name is required when a service has more than one port");
    }
    if (name !== undefined) {
      if (!isDNS1123Label(name) || name !== name.toLowerCase()) {
        report.error(field(at, "name"), `invalid port name ${JSON.stringify(name)}`);
      }
      if (names.has(name)) report.error(field(at, "name"), `duplicate port name ${JSON.stringify(name)}`);
      names.add(name);
    }
    const target = port.targetPort;
    if (typeof target === "number") checkPort(target, field(at, "targetPort"), report);
    else if (typeof target === "string" && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(target)) {
      report.error(
        field(at, "targetPort"),
        `targetPort must be a port number or a container port name, got ${JSON.stringify(target)}`,
      );
    } else if (target !== undefined && target !== null && typeof target !== "string") {
      report.error(field(at, "targetPort"), "targetPort must be a number or a name");
    }
  });
  checkLabels(o.spec.selector, "spec.selector", report);
}

export function validateEndpointSlice(o: ConfigObject, report: Reporter): void {
  checkShape(o.spec, ENDPOINT_SLICE, "", report);
  if (o.spec.addressType === undefined) {
    report.error("addressType", "addressType is required (IPv4, IPv6 or FQDN)");
  }
  if (o.labels[SERVICE_NAME_LABEL] === undefined) {
    report.warn("metadata.labels", `no ${SERVICE_NAME_LABEL} label: the slice belongs to no service`);
  }
  const type = str(o.spec.addressType);
  list(o.spec.endpoints).forEach((e, i) => {
    const at = field("endpoints", i);
    const addresses = list(obj(e)?.addresses);
    if (addresses.length === 0) {
      report.error(field(at, "addresses"), "an endpoint needs at least one address");
    }
    addresses.forEach((a, j) => {
      if (typeof a === "string" && type !== "FQDN" && !isIP(a)) {
        report.error(field(field(at, "addresses"), j), `${JSON.stringify(a)} is not an IP address`);
      }
    });
  });
  checkEndpointPorts(o.spec.ports, "ports", report);
}

export function validateEndpoints(o: ConfigObject, report: Reporter): void {
  checkShape(o.spec, ENDPOINTS, "", report);
  list(o.spec.subsets).forEach((s, i) => {
    const at = field("subsets", i);
    const subset = obj(s) ?? {};
    for (const k of ["addresses", "notReadyAddresses"]) {
      list(subset[k]).forEach((a, j) => {
        const ip = str(obj(a)?.ip);
        if (ip === undefined || !isIP(ip)) {
          report.error(
            field(field(field(at, k), j), "ip"),
            `address needs a valid ip, got ${JSON.stringify(ip ?? null)}`,
          );
        }
      });
    }
    checkEndpointPorts(subset.ports, field(at, "ports"), report);
  });
}

function checkEndpointPorts(v: unknown, path: string, report: Reporter): void {
  list(v).forEach((p, i) => checkPort(obj(p)?.port, field(field(path, i), "port"), report));
}

export function validatePod(o: ConfigObject, report: Reporter): void {
  checkShape(o.spec, POD, "", report);
  const statusIP = str(obj(o.spec.status)?.podIP);
  const ip = statusIP ?? o.annotations[POD_IP_ANNOTATION];
  const where = statusIP !== undefined ? "status.podIP" : field("metadata.annotations", POD_IP_ANNOTATION);
  if (ip === undefined || ip === "") {
    report.warn(
      "status",
      `pod has no IP (status.podIP or the ${POD_IP_ANNOTATION} annotation): it serves no traffic`,
    );
  } else if (!isIP(ip)) report.error(where, `${JSON.stringify(ip)} is not an IP address`);
}
