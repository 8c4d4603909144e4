// VirtualService: hosts and gateways, http/tls/tcp rules, exportTo, and rules no request can reach (IST0130).
import type { ConfigObject } from "../model/types.ts";
import { hostCoveredBy, hostsOverlap } from "./host-names.ts";
import { field } from "./problem.ts";
import type { Reporter } from "./schema.ts";
import {
  checkExportTo,
  checkGatewayNames,
  checkLabels,
  checkPort,
  isIP,
  isIPOrCidr,
  list,
  num,
  obj,
  str,
  wildcardDomainError,
} from "./validate-common.ts";
import { checkHttpRoute, checkRouteDestinations } from "./validate-http-route.ts";

export function validateVirtualService(o: ConfigObject, report: Reporter): void {
  const spec = o.spec;
  const hosts = list(spec.hosts).map(str).filter((h): h is string => h !== undefined);
  const gateways = list(spec.gateways).map(str);
  const appliesToGateway = gateways.length > 0 && !gateways.includes("mesh");
  const appliesToMesh = !appliesToGateway;

  if (hosts.length === 0) report.error("spec.hosts", "at least one host is required");
  let allValid = true;
  hosts.forEach((h, i) => {
    const at = field("spec.hosts", i);
    const err = wildcardDomainError(h);
    if (err && !isIP(h)) {
      report.error(at, err);
      allValid = false;
    } else if (appliesToMesh && h === "*") {
      report.error(at, `wildcard host "*" is not allowed for virtual services bound to the mesh gateway`);
      allValid = false;
    }
  });
  if (allValid) {
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        if (hostsOverlap(hosts[i], hosts[j])) {
          report.error(
            field("spec.hosts", j),
            `duplicate hosts in virtual service: ${hosts[i]} & ${hosts[j]}`,
          );
        }
      }
    }
  }
  checkGatewayNames(spec.gateways, "spec.gateways", report);

  const http = list(spec.http);
  const tls = list(spec.tls);
  const tcp = list(spec.tcp);
  if (http.length === 0 && tls.length === 0 && tcp.length === 0) {
    report.error("spec", "http, tcp or tls must be provided in virtual service");
  }
  http.forEach((r, i) => {
    if (r === null) report.error(field("spec.http", i), "http route may not be null");
    else checkHttpRoute(r, field("spec.http", i), report);
  });
  tls.forEach((r, i) => checkTlsRoute(r, field("spec.tls", i), hosts, report));
  tcp.forEach((r, i) => checkTcpRoute(r, field("spec.tcp", i), report));
  checkExportTo(spec.exportTo, "spec.exportTo", o.namespace, report);
  for (const key of ["http", "tls", "tcp"]) reportUnreachable(list(spec[key]), `spec.${key}`, report);
}

function checkTlsRoute(v: unknown, path: string, vsHosts: readonly string[], report: Reporter): void {
  const r = obj(v);
  if (r === undefined) return;
  const matches = list(r.match);
  if (matches.length === 0) {
    report.error(field(path, "match"), "TLS route must have at least one match condition");
  }
  matches.forEach((m, i) => {
    const at = field(field(path, "match"), i);
    const match = obj(m);
    if (match === undefined) return report.error(at, "TLS match may not be null");
    const sni = list(match.sniHosts);
    if (sni.length === 0) report.error(field(at, "sniHosts"), "TLS match must have at least one SNI host");
    sni.forEach((s, j) => {
      const host = str(s);
      if (host === undefined) return;
      const sat = field(field(at, "sniHosts"), j);
      const err = wildcardDomainError(host);
      if (err) {
        if (isIP(host)) {
          report.warn(
            sat,
            `using an IP address (${
              JSON.stringify(host)
            }) goes against the SNI spec and most clients do not support it`,
          );
        } else report.error(sat, err);
        return;
      }
      if (!vsHosts.some((h) => hostCoveredBy(host, h))) {
        report.error(
          sat,
          `SNI host ${
            JSON.stringify(host)
          } is not a compatible subset of any of the virtual service hosts: [${vsHosts.join(", ")}]`,
        );
      }
    });
    checkL4Match(match, at, report);
  });
  if (list(r.route).length === 0) report.error(field(path, "route"), "TLS route is required");
  checkRouteDestinations(r.route, field(path, "route"), report, false);
}

function checkTcpRoute(v: unknown, path: string, report: Reporter): void {
  const r = obj(v);
  if (r === undefined) return;
  list(r.match).forEach((m, i) => {
    const match = obj(m);
    if (match === undefined) report.error(field(field(path, "match"), i), "tcp match may not be null");
    else checkL4Match(match, field(field(path, "match"), i), report);
  });
  if (list(r.route).length === 0) report.error(field(path, "route"), "TCP route is required");
  checkRouteDestinations(r.route, field(path, "route"), report, false);
}

function checkL4Match(m: Record<string, unknown>, path: string, report: Reporter): void {
  list(m.destinationSubnets).forEach((s, i) => {
    if (typeof s === "string" && !isIPOrCidr(s)) {
      report.error(
        field(field(path, "destinationSubnets"), i),
        `${JSON.stringify(s)} is not an IP address or CIDR block`,
      );
    }
  });
  if (num(m.port) !== 0) checkPort(m.port, field(path, "port"), report);
  checkLabels(m.sourceLabels, field(path, "sourceLabels"), report);
  checkGatewayNames(m.gateways, field(path, "gateways"), report);
}

/** Istio's unreachable-rule analysis: rules after a catch-all, or whose every match an earlier rule already has. */
function reportUnreachable(rules: readonly unknown[], path: string, report: Reporter): void {
  const seen = new Map<string, number>();
  let catchAll = -1;
  rules.forEach((rule, i) => {
    const r = obj(rule);
    if (r === undefined) return;
    const name = str(r.name) ? JSON.stringify(r.name) : `#${i}`;
    const matches = list(r.match);
    if (catchAll >= 0) {
      report.warn(
        field(path, i),
        `VirtualService rule ${name} not used (rule #${catchAll} before it matches every request)`,
        "IST0130",
      );
      return;
    }
    if (matches.length === 0) {
      catchAll = i;
      return;
    }
    let duplicates = 0;
    for (const m of matches) {
      const { name: _n, ...rest } = obj(m) ?? {};
      const key = stableJson(rest);
      if (seen.has(key)) duplicates++;
      else seen.set(key, i);
    }
    if (duplicates === matches.length) {
      report.warn(
        field(path, i),
        `VirtualService rule ${name} not used (all matches used by prior rules)`,
        "IST0130",
      );
    }
  });
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  const o = obj(v);
  if (o === undefined) return JSON.stringify(v);
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(",")}}`;
}
