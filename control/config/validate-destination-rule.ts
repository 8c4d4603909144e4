// DestinationRule: host, subsets (unique names), traffic policies (LB, pools, outlier detection, TLS, per port).
import type { ConfigObject } from "../model/types.ts";
import { field } from "./problem.ts";
import type { Reporter } from "./schema.ts";
import {
  checkDuration,
  checkExportTo,
  checkLabels,
  checkPort,
  checkSelector,
  fqdnError,
  isDNS1123Label,
  isIP,
  isSet,
  list,
  num,
  obj,
  str,
  wildcardDomainError,
} from "./validate-common.ts";

export function validateDestinationRule(o: ConfigObject, report: Reporter): void {
  const spec = o.spec;
  const host = str(spec.host);
  if (host === undefined || host === "") report.error("spec.host", "host is required");
  else {
    const err = wildcardDomainError(host);
    if (err) report.error("spec.host", err);
  }
  checkTrafficPolicy(spec.trafficPolicy, "spec.trafficPolicy", report);
  const names = new Set<string>();
  list(spec.subsets).forEach((s, i) => {
    const at = field("spec.subsets", i);
    const subset = obj(s);
    if (subset === undefined) return report.error(at, "subset may not be null");
    const name = str(subset.name);
    if (name === undefined || name === "") report.error(field(at, "name"), "subset name cannot be empty");
    else if (!isDNS1123Label(name)) {
      report.error(field(at, "name"), `subset name ${JSON.stringify(name)} is invalid`);
    } else if (names.has(name)) {
      report.error(field(at, "name"), `duplicate subset name ${JSON.stringify(name)}`);
    }
    if (name) names.add(name);
    if (obj(subset.labels) === undefined || Object.keys(obj(subset.labels) ?? {}).length === 0) {
      report.warn(field(at, "labels"), "subset has no labels: it selects every endpoint of the host");
    }
    checkLabels(subset.labels, field(at, "labels"), report);
    checkTrafficPolicy(subset.trafficPolicy, field(at, "trafficPolicy"), report);
  });
  checkExportTo(spec.exportTo, "spec.exportTo", o.namespace, report);
  const selector = obj(spec.workloadSelector);
  if (selector !== undefined) {
    checkSelector(selector.matchLabels ?? {}, "spec.workloadSelector.matchLabels", report);
  }
}

function checkTrafficPolicy(v: unknown, path: string, report: Reporter): void {
  const p = obj(v);
  if (p === undefined) return;
  const parts = [
    "loadBalancer",
    "connectionPool",
    "outlierDetection",
    "tls",
    "portLevelSettings",
    "tunnel",
    "proxyProtocol",
  ];
  if (!parts.some((k) => isSet(p[k]))) {
    return report.error(path, "traffic policy must have at least one field");
  }
  if (isSet(p.tunnel) && isSet(p.proxyProtocol)) {
    report.error(path, "tunnel and proxyProtocol must not be set together");
  }
  checkPolicyParts(p, path, report);
  list(p.portLevelSettings).forEach((s, i) => {
    const at = field(field(path, "portLevelSettings"), i);
    const pl = obj(s);
    if (pl === undefined) return report.error(at, "port traffic policy may not be null");
    const port = obj(pl.port);
    if (port === undefined || !isSet(port.number)) {
      report.error(field(at, "port"), "port traffic policy must have a port number");
    } else checkPort(port.number, field(field(at, "port"), "number"), report);
    if (!["loadBalancer", "connectionPool", "outlierDetection", "tls"].some((k) => isSet(pl[k]))) {
      report.error(at, "port traffic policy must have at least one field");
    }
    checkPolicyParts(pl, at, report);
  });
  const tunnel = obj(p.tunnel);
  if (tunnel !== undefined) {
    const at = field(path, "tunnel");
    const proto = str(tunnel.protocol);
    if (proto && proto !== "CONNECT" && proto !== "POST") {
      report.error(field(at, "protocol"), `tunnel protocol must be "CONNECT" or "POST"`);
    }
    const target = str(tunnel.targetHost) ?? "";
    if (fqdnError(target) && !isIP(target)) {
      report.error(field(at, "targetHost"), "tunnel target host must be a valid FQDN or IP address");
    }
    checkPort(tunnel.targetPort ?? 0, field(at, "targetPort"), report);
  }
}

function checkPolicyParts(p: Record<string, unknown>, path: string, report: Reporter): void {
  checkLoadBalancer(p.loadBalancer, field(path, "loadBalancer"), report);
  checkConnectionPool(p.connectionPool, field(path, "connectionPool"), report);
  checkOutlierDetection(p.outlierDetection, field(path, "outlierDetection"), report);
  checkClientTls(p.tls, field(path, "tls"), report);
}

function checkLoadBalancer(v: unknown, path: string, report: Reporter): void {
  const lb = obj(v);
  if (lb === undefined) return;
  const hash = obj(lb.consistentHash);
  if (hash !== undefined) {
    const at = field(path, "consistentHash");
    const keys = ["httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"].filter((k) =>
      isSet(hash[k])
    );
    if (keys.length === 0) {
      report.error(
        at,
        "consistentHash needs one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName",
      );
    }
    const cookie = obj(hash.httpCookie);
    if (cookie !== undefined) {
      if (!str(cookie.name)) {
        report.error(field(field(at, "httpCookie"), "name"), "name required for httpCookie");
      }
      checkDuration(cookie.ttl, field(field(at, "httpCookie"), "ttl"), report, true);
    }
    if (isSet(hash.minimumRingSize)) {
      report.warn(
        field(at, "minimumRingSize"),
        `"minimumRingSize" is deprecated, use "ringHash: {minimumRingSize: …}"`,
      );
      if (isSet(hash.ringHash) || isSet(hash.maglev)) {
        report.error(at, "only one of minimumRingSize or maglev/ringHash can be specified");
      }
    }
    const maglev = obj(hash.maglev);
    const size = num(maglev?.tableSize);
    if (maglev !== undefined && (size === undefined || size === 0)) {
      report.error(field(field(at, "maglev"), "tableSize"), "tableSize must be set for maglev");
    } else if (size !== undefined && (size >= 5000011 || !isPrime(size))) {
      report.error(
        field(field(at, "maglev"), "tableSize"),
        "tableSize must be a prime number less than 5000011",
      );
    }
  }
  checkDuration(lb.warmupDurationSecs, field(path, "warmupDurationSecs"), report);
  const locality = obj(lb.localityLbSetting);
  if (locality !== undefined && list(locality.distribute).length > 0 && list(locality.failover).length > 0) {
    report.error(
      field(path, "localityLbSetting"),
      "can not simultaneously specify 'distribute' and 'failover'",
    );
  }
}

function isPrime(x: number): boolean {
  if (x < 2) return false;
  for (let f = 2; f * f <= x; f++) if (x % f === 0) return false;
  return true;
}

function checkConnectionPool(v: unknown, path: string, report: Reporter): void {
  const cp = obj(v);
  if (cp === undefined) return;
  if (!isSet(cp.tcp) && !isSet(cp.http)) {
    return report.error(path, "connection pool must have at least one field");
  }
  const http = obj(cp.http);
  if (http !== undefined) {
    const at = field(path, "http");
    for (
      const k of [
        "http1MaxPendingRequests",
        "http2MaxRequests",
        "maxRequestsPerConnection",
        "maxRetries",
        "maxConcurrentStreams",
      ]
    ) {
      const n = num(http[k]);
      if (n !== undefined && n < 0) report.error(field(at, k), `must be non-negative, got ${n}`);
    }
    checkDuration(http.idleTimeout, field(at, "idleTimeout"), report);
    if (http.h2UpgradePolicy === "UPGRADE" && http.useClientProtocol === true) {
      report.error(
        field(at, "useClientProtocol"),
        "useClientProtocol must not be true when h2UpgradePolicy is UPGRADE",
      );
    }
  }
  const tcp = obj(cp.tcp);
  if (tcp !== undefined) {
    const at = field(path, "tcp");
    const max = num(tcp.maxConnections);
    if (max !== undefined && max < 0) {
      report.error(field(at, "maxConnections"), `must be non-negative, got ${max}`);
    }
    for (const k of ["connectTimeout", "maxConnectionDuration", "idleTimeout"]) {
      checkDuration(tcp[k], field(at, k), report);
    }
    const ka = obj(tcp.tcpKeepalive);
    if (ka !== undefined) {
      for (const k of ["time", "interval"]) {
        checkDuration(ka[k], field(field(at, "tcpKeepalive"), k), report);
      }
    }
  }
}

function checkOutlierDetection(v: unknown, path: string, report: Reporter): void {
  const od = obj(v);
  if (od === undefined) return;
  checkDuration(od.baseEjectionTime, field(path, "baseEjectionTime"), report);
  checkDuration(od.interval, field(path, "interval"), report);
  if (isSet(od.consecutiveErrors)) {
    report.warn(
      field(path, "consecutiveErrors"),
      "consecutiveErrors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors",
    );
  }
  if (od.splitExternalLocalOriginErrors !== true && (num(od.consecutiveLocalOriginFailures) ?? 0) > 0) {
    report.error(
      field(path, "consecutiveLocalOriginFailures"),
      "consecutiveLocalOriginFailures is set, but splitExternalLocalOriginErrors is false",
    );
  }
  for (const k of ["maxEjectionPercent", "minHealthPercent"]) {
    const n = num(od[k]);
    if (n !== undefined && (n < 0 || n > 100)) report.error(field(path, k), `must be 0..100, got ${n}`);
  }
}

function checkClientTls(v: unknown, path: string, report: Reporter): void {
  const tls = obj(v);
  if (tls === undefined) return;
  const mode = str(tls.mode);
  if (tls.insecureSkipVerify === true) {
    if (
      mode === "SIMPLE" && (str(tls.caCertificates) || str(tls.credentialName) || isSet(tls.subjectAltNames))
    ) {
      report.error(
        path,
        "cannot specify caCertificates, credentialName or subjectAltNames when insecureSkipVerify is true",
      );
    }
    if (mode === "MUTUAL" && (str(tls.caCertificates) || isSet(tls.subjectAltNames))) {
      report.error(path, "cannot specify caCertificates or subjectAltNames when insecureSkipVerify is true");
    }
  }
  if ((mode === "SIMPLE" || mode === "MUTUAL") && str(tls.credentialName)) {
    if (str(tls.clientCertificate) || str(tls.caCertificates) || str(tls.privateKey) || str(tls.caCrl)) {
      report.error(
        path,
        "cannot specify client certificates, CA certificate or CA CRL if credentialName is set",
      );
    }
    return;
  }
  if (mode === "MUTUAL") {
    if (!str(tls.clientCertificate)) {
      report.error(field(path, "clientCertificate"), "client certificate required for mutual TLS");
    }
    if (!str(tls.privateKey)) report.error(field(path, "privateKey"), "private key required for mutual TLS");
  }
  if (
    mode === "ISTIO_MUTUAL" &&
    (str(tls.clientCertificate) || str(tls.privateKey) || str(tls.caCertificates) || str(tls.credentialName))
  ) {
    report.error(
      path,
      "ISTIO_MUTUAL uses the mesh's certificates: clientCertificate, privateKey, caCertificates and credentialName must not be set",
    );
  }
}
