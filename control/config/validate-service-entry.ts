// ServiceEntry (hosts, addresses, ports, resolution, endpoints, workloadSelector) and WorkloadEntry.
import type { ConfigObject } from "../model/types.ts";
import { field } from "./problem.ts";
import type { Reporter } from "./schema.ts";
import {
  checkExportTo,
  checkLabels,
  checkPort,
  checkProtocol,
  checkSelector,
  fqdnError,
  isDNS1123Label,
  isHTTPProtocol,
  isIP,
  isIPOrCidr,
  isSet,
  isTLSProtocol,
  list,
  num,
  obj,
  str,
  wildcardDomainError,
} from "./validate-common.ts";

export function validateServiceEntry(o: ConfigObject, report: Reporter): void {
  const spec = o.spec;
  const resolution = str(spec.resolution) ?? "NONE";
  if (isSet(spec.workloadSelector)) {
    checkSelector(obj(spec.workloadSelector)?.labels ?? {}, "spec.workloadSelector.labels", report);
    if (isSet(spec.endpoints)) {
      report.error(
        "spec.workloadSelector",
        "only one of workloadSelector or endpoints is allowed in a ServiceEntry",
      );
    }
  }
  const hosts = list(spec.hosts).map(str);
  if (hosts.length === 0) report.error("spec.hosts", "service entry must have at least one host");
  hosts.forEach((h, i) => {
    if (h === undefined) return;
    const at = field("spec.hosts", i);
    if (h === "*") return report.error(at, `invalid host "*"`);
    const err = wildcardDomainError(h);
    if (err) report.error(at, err);
    else if (h.startsWith("*") && !h.startsWith("*.")) {
      report.warn(
        at,
        `partial wildcard ${JSON.stringify(h)} is not supported by every proxy; prefer "*.domain"`,
      );
    }
  });
  const addresses = list(spec.addresses).map(str);
  addresses.forEach((a, i) => {
    if (a !== undefined && !isIPOrCidr(a)) {
      report.error(field("spec.addresses", i), `${JSON.stringify(a)} is not an IP address or CIDR block`);
    }
  });
  if (addresses.some((a) => a?.includes("/")) && resolution !== "NONE" && resolution !== "STATIC") {
    report.error("spec.addresses", "CIDR addresses are allowed only for NONE/STATIC resolution types");
  }

  const portNames = new Set<string>();
  const portNumbers = new Set<number>();
  const ports = list(spec.ports).map(obj);
  ports.forEach((p, i) => {
    const at = field("spec.ports", i);
    if (p === undefined) return report.error(at, "service entry port may not be null");
    const name = str(p.name) ?? "";
    const number = num(p.number);
    if (portNames.has(name)) {
      report.error(field(at, "name"), `service entry port name ${JSON.stringify(name)} already defined`);
    }
    portNames.add(name);
    if (number !== undefined && portNumbers.has(number)) {
      report.error(field(at, "number"), `service entry port ${number} already defined`);
    }
    if (number !== undefined) portNumbers.add(number);
    if (!isDNS1123Label(name)) report.error(field(at, "name"), `invalid port name ${JSON.stringify(name)}`);
    if (!isSet(p.number)) report.error(field(at, "number"), "port number is required");
    checkPort(p.number, field(at, "number"), report);
    checkProtocol(p.protocol, field(at, "protocol"), report);
    if ((num(p.targetPort) ?? 0) !== 0) {
      checkPort(p.targetPort, field(at, "targetPort"), report);
      if (resolution === "NONE") {
        report.warn(field(at, "targetPort"), "targetPort has no effect when resolution mode is NONE");
      }
    }
    const proto = str(p.protocol);
    if (addresses.length === 0 && (proto === undefined || proto === "" || proto.toUpperCase() === "TCP")) {
      report.warn(at, "addresses are required for ports serving TCP (or unset) protocol", "IST0134");
    }
  });

  const endpoints = list(spec.endpoints);
  if (resolution === "NONE") {
    if (endpoints.length > 0) {
      report.error("spec.endpoints", "no endpoints should be provided for resolution type NONE");
    }
    if (isSet(spec.workloadSelector)) {
      report.warn("spec.workloadSelector", "workloadSelector should not be set when resolution mode is NONE");
    }
  } else if (resolution === "STATIC") {
    endpoints.forEach((e, i) => checkWorkloadEntry(e, field("spec.endpoints", i), report, portNames, false));
  } else if (resolution === "DNS" || resolution === "DNS_ROUND_ROBIN") {
    if (endpoints.length === 0) {
      hosts.forEach((h, i) => {
        if (h !== undefined && fqdnError(h)) {
          report.error(
            field("spec.hosts", i),
            `hosts must be FQDN if no endpoints are provided for resolution mode ${resolution}`,
          );
        }
      });
    }
    if (resolution === "DNS_ROUND_ROBIN" && endpoints.length > 1) {
      report.error(
        "spec.endpoints",
        "there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN",
      );
    }
    endpoints.forEach((e, i) => checkWorkloadEntry(e, field("spec.endpoints", i), report, portNames, true));
    if (isSet(spec.workloadSelector)) {
      report.warn(
        "spec.workloadSelector",
        `workloadSelector should not be set when resolution mode is ${resolution}`,
      );
    }
  }
  if (resolution !== "NONE" && hosts.length > 1) {
    const plain = ports.find((p) =>
      p !== undefined && !isHTTPProtocol(str(p.protocol)) && !isTLSProtocol(str(p.protocol))
    );
    if (plain !== undefined) {
      report.error("spec.hosts", "multiple hosts provided with non-HTTP, non-TLS ports");
    }
  }
  checkExportTo(spec.exportTo, "spec.exportTo", o.namespace, report, true);
}

export function validateWorkloadEntry(o: ConfigObject, report: Reporter): void {
  checkWorkloadEntry(o.spec, "spec", report, undefined, true);
}

function checkWorkloadEntry(
  v: unknown,
  path: string,
  report: Reporter,
  servicePorts: ReadonlySet<string> | undefined,
  allowFqdn: boolean,
): void {
  const we = obj(v);
  if (we === undefined) return report.error(path, "endpoint cannot be null");
  const address = str(we.address) ?? "";
  if (address === "") {
    if (!str(we.network)) report.error(field(path, "address"), "address is required");
    else report.warn(field(path, "address"), `address is unset with network ${JSON.stringify(we.network)}`);
  } else if (address.startsWith("unix://")) {
    if (!address.slice(7).startsWith("/") && !address.slice(7).startsWith("@")) {
      report.error(field(path, "address"), `${address} is not an absolute path to a socket`);
    }
    if (Object.keys(obj(we.ports) ?? {}).length > 0) {
      report.error(field(path, "ports"), `unix endpoint ${address} must not include ports`);
    }
  } else if (!isIP(address)) {
    if (!allowFqdn) {
      report.error(
        field(path, "address"),
        `endpoint address ${JSON.stringify(address)} is not a valid IP address`,
      );
    } else if (fqdnError(address)) {
      report.error(
        field(path, "address"),
        `endpoint address ${JSON.stringify(address)} is not a valid FQDN or an IP address`,
      );
    }
  }
  for (const [name, port] of Object.entries(obj(we.ports) ?? {})) {
    const at = field(field(path, "ports"), name);
    if (servicePorts !== undefined && !servicePorts.has(name)) {
      report.error(at, `endpoint port ${JSON.stringify(name)} is not defined by the service entry`);
    }
    if (!isDNS1123Label(name)) report.error(at, `invalid port name ${JSON.stringify(name)}`);
    checkPort(port, at, report);
  }
  checkLabels(we.labels, field(path, "labels"), report);
}
