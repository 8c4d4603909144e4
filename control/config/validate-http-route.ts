// VirtualService http[] rules: conflicts, matches, destinations and weights, header operations (the actions and
// policies are checked in validate-http-policies.ts).
import { field } from "./problem.ts";
import type { Reporter } from "./schema.ts";
import {
  checkDestination,
  checkDuration,
  checkGatewayNames,
  checkLabels,
  checkPort,
  checkStringMatch,
  HEADER_NAME,
  isDNS1123Label,
  isSet,
  list,
  num,
  obj,
  str,
} from "./validate-common.ts";
import {
  checkCors,
  checkDirectResponse,
  checkFault,
  checkMirrors,
  checkRedirect,
  checkRetries,
  checkRewrite,
} from "./validate-http-policies.ts";

export function checkHttpRoute(v: unknown, path: string, report: Reporter): void {
  const r = obj(v);
  if (r === undefined) return;
  const has = (k: string) => isSet(r[k]) && !(Array.isArray(r[k]) && (r[k] as unknown[]).length === 0);
  if (has("delegate")) {
    report.error(field(path, "delegate"), "delegate VirtualServices are not supported by Weft");
  }
  if (has("redirect")) {
    if (has("route")) {
      report.error(field(path, "redirect"), "HTTP route cannot contain both route and redirect");
    }
    if (has("fault")) {
      report.error(field(path, "redirect"), "HTTP route cannot contain both fault and redirect");
    }
    if (has("rewrite")) {
      report.error(field(path, "redirect"), "HTTP route rule cannot contain both rewrite and redirect");
    }
  }
  if (has("directResponse") && (has("route") || has("redirect"))) {
    report.error(
      field(path, "directResponse"),
      "HTTP route cannot contain directResponse together with route or redirect",
    );
  }
  if (!has("route") && !has("redirect") && !has("directResponse") && !has("delegate")) {
    report.error(path, "HTTP route, redirect or directResponse is required");
  }
  if (has("mirror") && has("mirrors")) {
    report.error(field(path, "mirrors"), "HTTP route cannot contain both mirror and mirrors");
  }

  list(r.match).forEach((m, i) => checkHttpMatch(m, field(field(path, "match"), i), report));
  checkHeaderOps(r.headers, field(path, "headers"), report);
  checkCors(r.corsPolicy, field(path, "corsPolicy"), report);
  checkFault(r.fault, field(path, "fault"), report);
  checkMirrors(r, path, report);
  checkRedirect(r.redirect, field(path, "redirect"), report);
  checkDirectResponse(r.directResponse, field(path, "directResponse"), report);
  checkRewrite(r.rewrite, field(path, "rewrite"), report);
  checkRetries(r.retries, field(path, "retries"), report);
  checkDuration(r.timeout, field(path, "timeout"), report, true);
  checkRouteDestinations(r.route, field(path, "route"), report, true);
}

function checkHttpMatch(v: unknown, path: string, report: Reporter): void {
  const m = obj(v);
  if (m === undefined) return;
  for (const k of ["uri", "scheme", "method", "authority"]) checkStringMatch(m[k], field(path, k), report);
  for (const k of ["headers", "withoutHeaders"]) {
    for (const [name, match] of Object.entries(obj(m[k]) ?? {})) {
      const at = field(field(path, k), name);
      if (!HEADER_NAME.test(name) && !name.startsWith("@request.auth.claims")) {
        report.error(at, `header name ${JSON.stringify(name)} is not a valid header name`);
      }
      checkStringMatch(match, at, report);
    }
  }
  for (const [name, match] of Object.entries(obj(m.queryParams) ?? {})) {
    checkStringMatch(match, field(field(path, "queryParams"), name), report);
  }
  if (num(m.port) !== 0) checkPort(m.port, field(path, "port"), report);
  checkLabels(m.sourceLabels, field(path, "sourceLabels"), report);
  checkGatewayNames(m.gateways, field(path, "gateways"), report);
  const ns = str(m.sourceNamespace);
  if (ns !== undefined && ns !== "" && !isDNS1123Label(ns)) {
    report.error(field(path, "sourceNamespace"), `sourceNamespace ${JSON.stringify(ns)} is invalid`);
  }
}

/** route[] / tcp route[] / tls route[]: destinations, weights 0..100, and their total. */
export function checkRouteDestinations(v: unknown, path: string, report: Reporter, http: boolean): void {
  const routes = list(v);
  let total = 0;
  routes.forEach((d, i) => {
    const at = field(path, i);
    const rd = obj(d);
    if (rd === undefined) return report.error(at, "route destination may not be null");
    if (!isSet(rd.destination)) report.error(at, "destination is required");
    else checkDestination(rd.destination, field(at, "destination"), report);
    const weight = num(rd.weight);
    if (weight !== undefined && Number.isInteger(weight)) {
      if (weight < 0 || weight > 100) report.error(field(at, "weight"), `must be 0..100, got ${weight}`);
      total += weight;
    }
    if (http) checkHeaderOps(rd.headers, field(at, "headers"), report);
  });
  if (routes.length > 1 && total === 0) {
    report.error(path, "total destination weight = 0: give the destinations weights");
  } else if (routes.length > 1 && total !== 100) {
    report.warn(
      path,
      `destination weights add up to ${total}, not 100; traffic is split in proportion to them`,
    );
  }
}

function checkHeaderOps(v: unknown, path: string, report: Reporter): void {
  const h = obj(v);
  if (h === undefined) return;
  for (const side of ["request", "response"]) {
    const ops = obj(h[side]);
    if (ops === undefined) continue;
    const at = field(path, side);
    for (const op of ["set", "add"]) {
      for (const name of Object.keys(obj(ops[op]) ?? {})) {
        const msg = headerNameError(name, side === "request");
        if (msg) report.error(field(field(at, op), name), msg);
      }
    }
    list(ops.remove).forEach((name, i) => {
      const msg = typeof name === "string" ? headerNameError(name, false) : undefined;
      if (msg) report.error(field(field(at, "remove"), i), msg);
    });
  }
}

function headerNameError(name: string, authorityAllowed: boolean): string | undefined {
  if (name === "") return "header name cannot be empty";
  const lower = name.toLowerCase();
  const authority = lower === ":authority" || lower === "host";
  if (authority && authorityAllowed) return undefined;
  if (lower === "host") return `invalid header "${name}": cannot set Host header here`;
  if (name.startsWith(":")) return `invalid header "${name}": header cannot have ":" prefix`;
  return undefined;
}
