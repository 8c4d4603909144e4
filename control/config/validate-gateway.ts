// Gateway: name, selector, servers (port, protocol, hosts "ns/host", TLS settings for HTTPS/TLS ports).
import type { ConfigObject } from "../model/types.ts";
import { field } from "./problem.ts";
import type { Reporter } from "./schema.ts";
import {
  checkLabels,
  checkPort,
  isDNS1123Label,
  isHTTPProtocol,
  isIP,
  isSet,
  isTLSProtocol,
  list,
  num,
  obj,
  parseProtocol,
  str,
  wildcardDomainError,
} from "./validate-common.ts";

export function validateGateway(o: ConfigObject, report: Reporter): void {
  if (o.name !== "" && !isDNS1123Label(o.name)) {
    report.error(
      "metadata.name",
      `invalid gateway name ${JSON.stringify(o.name)}: it must be a DNS label (no dots)`,
    );
  }
  checkLabels(o.spec.selector, "spec.selector", report);
  const servers = list(o.spec.servers);
  if (servers.length === 0) report.error("spec.servers", "gateway must have at least one server");
  const portNames = new Set<string>();
  servers.forEach((s, i) => {
    const at = field("spec.servers", i);
    const server = obj(s);
    if (server === undefined) return report.error(at, "server may not be null");
    checkServer(server, at, report);
    const name = str(obj(server.port)?.name);
    if (name !== undefined) {
      if (portNames.has(name)) {
        report.error(
          field(field(at, "port"), "name"),
          `port names in servers must be unique: duplicate name ${JSON.stringify(name)}`,
        );
      }
      portNames.add(name);
    }
  });
}

function checkServer(server: Record<string, unknown>, path: string, report: Reporter): void {
  const hosts = list(server.hosts);
  if (hosts.length === 0) report.error(field(path, "hosts"), "server config must contain at least one host");
  hosts.forEach((h, i) => {
    if (typeof h !== "string") return;
    const err = namespaceSlashHostError(h);
    if (err) report.error(field(field(path, "hosts"), i), err);
  });
  const port = obj(server.port);
  const protocol = str(port?.protocol);
  if (port === undefined) report.error(field(path, "port"), "port is required");
  else {
    const at = field(path, "port");
    if (!isSet(port.number)) report.error(field(at, "number"), "port number is required");
    else checkPort(port.number, field(at, "number"), report);
    if (protocol === undefined || protocol === "") {
      report.error(field(at, "protocol"), "protocol is required");
    } else if (parseProtocol(protocol) === undefined) {
      report.error(
        field(at, "protocol"),
        `invalid protocol ${
          JSON.stringify(protocol)
        }, supported protocols are HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP, TLS`,
      );
    }
    if (!str(port.name)) report.error(field(at, "name"), "port name must be set");
    if ((num(port.targetPort) ?? 0) > 0) {
      report.error(field(at, "targetPort"), "targetPort has no impact on Gateways");
    }
  }
  const bind = str(server.bind);
  if (bind && !bind.startsWith("unix://") && !isIP(bind)) {
    report.error(field(path, "bind"), `bind ${JSON.stringify(bind)} is not an IP address`);
  }
  const tls = obj(server.tls);
  if (protocol !== undefined && parseProtocol(protocol) !== undefined) {
    if (isTLSProtocol(protocol) && tls === undefined) {
      report.error(path, "server must have TLS settings for HTTPS/TLS protocols");
    } else if (!isTLSProtocol(protocol) && tls !== undefined) {
      const redirectOnly = tls.httpsRedirect === true && Object.keys(tls).every((k) => k === "httpsRedirect");
      if (!isHTTPProtocol(protocol)) {
        report.error(field(path, "tls"), "server cannot have TLS settings for non HTTPS/TLS ports");
      } else if (!redirectOnly) {
        report.error(
          field(path, "tls"),
          "server cannot have TLS settings for plain text HTTP ports (only httpsRedirect)",
        );
      }
    }
  }
  if (tls !== undefined) checkServerTls(tls, field(path, "tls"), report);
}

/** "host", "*", "*.example.com", or "<namespace>/<host>" (with "." and "*" for the namespace). */
function namespaceSlashHostError(h: string): string | undefined {
  const parts = h.split("/");
  if (parts.length > 2) return `host ${JSON.stringify(h)} must be of the form namespace/dnsName`;
  if (parts.length === 2) {
    const [ns, host] = parts;
    if (ns === "") return `namespace in ${JSON.stringify(h)} must not be empty`;
    if (ns !== "." && ns !== "*" && !isDNS1123Label(ns)) {
      return `invalid namespace ${JSON.stringify(ns)} in host ${JSON.stringify(h)}`;
    }
    return host === "*" ? undefined : wildcardDomainError(host);
  }
  return h === "*" ? undefined : wildcardDomainError(h);
}

export function checkServerTls(tls: Record<string, unknown>, path: string, report: Reporter): void {
  const mode = str(tls.mode) ?? "PASSTHROUGH";
  const has = (k: string) => Boolean(str(tls[k]));
  if (mode === "ISTIO_MUTUAL") {
    for (const k of ["serverCertificate", "privateKey", "caCertificates", "credentialName"]) {
      if (has(k)) report.error(field(path, k), `ISTIO_MUTUAL TLS cannot have an associated ${k}`);
    }
    return;
  }
  if (
    (mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH") &&
    ["caCrl", "serverCertificate", "privateKey", "caCertificates", "credentialName"].some(has)
  ) {
    report.warn(path, `${mode} mode does not use certificates, they will be ignored`);
  }
  const fromCredential = has("credentialName") || list(tls.credentialNames).length > 0 ||
    list(tls.tlsCertificates).length > 0;
  if ((mode === "SIMPLE" || mode === "MUTUAL" || mode === "OPTIONAL_MUTUAL") && !fromCredential) {
    if (!has("serverCertificate")) {
      report.error(
        field(path, "serverCertificate"),
        `${mode} TLS requires a server certificate (or credentialName)`,
      );
    }
    if (!has("privateKey")) {
      report.error(field(path, "privateKey"), `${mode} TLS requires a private key (or credentialName)`);
    }
    if (mode !== "SIMPLE" && !has("caCertificates")) {
      report.error(field(path, "caCertificates"), `${mode} TLS requires a client CA bundle`);
    }
  }
  if (has("caCrl") && has("credentialName")) {
    report.error(
      field(path, "caCrl"),
      "CRL is not supported with credentialName; put the CRL in the credential",
    );
  }
  if (has("caCrl") && mode === "SIMPLE") {
    report.error(field(path, "caCrl"), "CRL is not supported with SIMPLE TLS");
  }
}
