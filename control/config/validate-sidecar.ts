// Sidecar: workloadSelector, ingress listeners, egress listeners with "namespace/host" hosts, outbound policy.
import type { ConfigObject } from "../model/types.ts";
import { field } from "./problem.ts";
import type { Reporter } from "./schema.ts";
import {
  checkDestination,
  checkPort,
  checkProtocol,
  checkSelector,
  isDNS1123Label,
  isIP,
  isSet,
  list,
  num,
  obj,
  str,
  wildcardDomainError,
} from "./validate-common.ts";
import { checkServerTls } from "./validate-gateway.ts";

export function validateSidecar(o: ConfigObject, report: Reporter): void {
  const spec = o.spec;
  if (isSet(spec.workloadSelector)) {
    checkSelector(obj(spec.workloadSelector)?.labels ?? {}, "spec.workloadSelector.labels", report);
  }
  const ingress = list(spec.ingress);
  const egress = list(spec.egress);
  if (
    ingress.length === 0 && egress.length === 0 && !isSet(spec.outboundTrafficPolicy) &&
    !isSet(spec.inboundConnectionPool)
  ) {
    report.error("spec", "sidecar: empty configuration provided");
  }
  const ingressPorts = new Set<number>();
  ingress.forEach((l, i) => {
    const at = field("spec.ingress", i);
    const listener = obj(l);
    if (listener === undefined) return report.error(at, "ingress may not be null");
    const port = obj(listener.port);
    if (port === undefined) return report.error(field(at, "port"), "port is required for ingress listeners");
    checkSidecarPort(port, field(at, "port"), report);
    const n = num(port.number);
    if (n !== undefined && ingressPorts.has(n)) {
      report.error(field(field(at, "port"), "number"), "ports on IP bound listeners must be unique");
    }
    if (n !== undefined) ingressPorts.add(n);
    checkBind(listener.bind, field(at, "bind"), report);
    const endpoint = str(listener.defaultEndpoint);
    if (
      endpoint && !endpoint.startsWith("unix://") &&
      !/^(127\.0\.0\.1|0\.0\.0\.0|\[::1\]|\[::\])?:\d+$/.test(endpoint)
    ) {
      report.error(
        field(at, "defaultEndpoint"),
        "defaultEndpoint must be of form 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, [::]:<port> or unix://path",
      );
    }
    const tls = obj(listener.tls);
    if (tls !== undefined) {
      const tat = field(at, "tls");
      if (tls.mode === "ISTIO_MUTUAL" || tls.mode === "AUTO_PASSTHROUGH") {
        report.error(field(tat, "mode"), `cannot set mode to ${tls.mode} in sidecar ingress tls`);
      }
      if (tls.httpsRedirect === true) {
        report.error(field(tat, "httpsRedirect"), "httpsRedirect is not supported in sidecar ingress tls");
      }
      if (str(tls.credentialName)) {
        report.error(field(tat, "credentialName"), "credentialName is not supported in sidecar ingress tls");
      }
      checkServerTls(tls, tat, report);
    }
  });
  const egressPorts = new Set<number>();
  egress.forEach((l, i) => {
    const at = field("spec.egress", i);
    const listener = obj(l);
    if (listener === undefined) return report.error(at, "egress listener may not be null");
    const port = obj(listener.port);
    if (port === undefined) {
      if (i !== egress.length - 1) {
        report.error(at, "the egress listener with no port must be the last listener");
      }
    } else {
      checkSidecarPort(port, field(at, "port"), report);
      const n = num(port.number);
      if (n !== undefined && egressPorts.has(n)) {
        report.error(field(field(at, "port"), "number"), "ports on IP bound listeners must be unique");
      }
      if (n !== undefined) egressPorts.add(n);
    }
    checkBind(listener.bind, field(at, "bind"), report);
    const hosts = list(listener.hosts);
    if (hosts.length === 0) {
      report.error(field(at, "hosts"), "egress listener must contain at least one host");
    }
    hosts.forEach((h, j) => {
      if (typeof h !== "string") return;
      const err = egressHostError(h);
      if (err) report.error(field(field(at, "hosts"), j), err);
    });
  });
  const policy = obj(spec.outboundTrafficPolicy);
  if (policy !== undefined && isSet(policy.egressProxy)) {
    const at = "spec.outboundTrafficPolicy.egressProxy";
    if (policy.mode !== "ALLOW_ANY") {
      report.error(at, "egressProxy must be set only with ALLOW_ANY outboundTrafficPolicy mode");
    } else if (!isSet(obj(policy.egressProxy)?.port)) {
      report.error(field(at, "port"), "egressProxy port is required");
    }
    checkDestination(policy.egressProxy, at, report);
  }
}

function checkSidecarPort(port: Record<string, unknown>, path: string, report: Reporter): void {
  const name = str(port.name);
  if (name && !isDNS1123Label(name)) {
    report.error(field(path, "name"), `invalid port name ${JSON.stringify(name)}`);
  }
  checkProtocol(port.protocol, field(path, "protocol"), report);
  checkPort(port.number ?? 0, field(path, "number"), report);
  if ((num(port.targetPort) ?? 0) > 0) {
    report.error(field(path, "targetPort"), "targetPort has no impact on Sidecars");
  }
}

function checkBind(v: unknown, path: string, report: Reporter): void {
  const bind = str(v);
  if (bind && !bind.startsWith("unix://") && !isIP(bind)) {
    report.error(path, `bind ${JSON.stringify(bind)} is not an IP address`);
  }
}

/** Sidecar egress hosts are "namespace/dnsName": "./reviews", "istio-system/*", "*\/*.example.com". */
function egressHostError(h: string): string | undefined {
  const parts = h.split("/");
  if (parts.length !== 2) {
    return `egress host ${
      JSON.stringify(h)
    } must be of the form namespace/dnsName (e.g. "./*" or "istio-system/*")`;
  }
  const [ns, host] = parts;
  if (ns === "") return `namespace in egress host ${JSON.stringify(h)} must not be empty`;
  if (ns !== "." && ns !== "*" && ns !== "~" && !isDNS1123Label(ns)) {
    return `invalid namespace ${JSON.stringify(ns)} in egress host ${JSON.stringify(h)}`;
  }
  return host === "*" ? undefined : wildcardDomainError(host);
}
