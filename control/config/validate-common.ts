// Checks shared by the kind validators: host names, ports, durations, percentages, labels, protocols, IPs.
import { isPlainObject } from "./parse.ts";
import { field } from "./problem.ts";
import type { Reporter } from "./schema.ts";
import { parseDuration } from "./schema.ts";

// ---- loose accessors: validators run after (and alongside) shape checks, so they never trust a type ----
export const obj = (v: unknown): Record<string, unknown> | undefined => (isPlainObject(v) ? v : undefined);
export const list = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
export const num = (
  v: unknown,
): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
export const isSet = (v: unknown): boolean => v !== undefined && v !== null;

const LABEL = /^[A-Za-z0-9](?:[-A-Za-z0-9]*[A-Za-z0-9])?$/;
const LOWER_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 label as Istio checks it (letters of either case, digits, '-'; ≤ 63). */
export function isDNS1123Label(s: string): boolean {
  return s.length <= 63 && LABEL.test(s);
}

/** Kubernetes object names: lower-case RFC 1123 subdomain, ≤ 253. */
export function isDNS1123Subdomain(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split(".").every((l) => l.length <= 63 && LOWER_LABEL.test(l));
}

/** Istio's ValidateWildcardDomain: "*", "*.example.com", "*foo.example.com", "reviews", "reviews.default.svc". */
export function wildcardDomainError(host: string): string | undefined {
  if (host.length === 0) return "empty host name not allowed";
  if (host.length > 255) return `host name ${JSON.stringify(host)} too long (max 255)`;
  const dot = host.indexOf(".");
  const first = dot < 0 ? host : host.slice(0, dot);
  const rest = dot < 0 ? "" : host.slice(dot + 1);
  const bare = first.startsWith("*") ? first.slice(1) : first;
  if (bare !== "" && !isDNS1123Label(bare)) {
    return `host name ${JSON.stringify(host)} invalid (label ${JSON.stringify(first)} invalid)`;
  }
  return rest === "" ? undefined : labelsError(host, rest);
}

/** Istio's ValidateFQDN: DNS labels, no wildcard, top-level label not all digits. */
export function fqdnError(host: string): string | undefined {
  if (host.length === 0) return "empty host name not allowed";
  if (host.length > 255) return `host name ${JSON.stringify(host)} too long (max 255)`;
  return labelsError(host, host);
}

function labelsError(host: string, labels: string): string | undefined {
  const parts = labels.split(".");
  const top = parts[parts.length - 1];
  if (/^\d+$/.test(top)) {
    return `host name ${JSON.stringify(host)} invalid (top level domain ${
      JSON.stringify(top)
    } cannot be all-numeric)`;
  }
  for (let i = 0; i < parts.length; i++) {
    if (i === parts.length - 1 && parts[i] === "") break; // "istio.io." is unambiguous
    if (!isDNS1123Label(parts[i])) {
      return `host name ${JSON.stringify(host)} invalid (label ${JSON.stringify(parts[i])} invalid)`;
    }
  }
  return undefined;
}

export function isIPv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255 && (o === "0" || !o.startsWith("0")));
}

export function isIPv6(s: string): boolean {
  if (!s.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(s)) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

export const isIP = (s: string): boolean => isIPv4(s) || isIPv6(s);

/** An IP address or a CIDR block ("10.0.0.0/8", "2001:db8::/32"). */
export function isIPOrCidr(s: string): boolean {
  const slash = s.indexOf("/");
  if (slash < 0) return isIP(s);
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  return isIPv4(ip) ? Number(bits) <= 32 : isIPv6(ip) && Number(bits) <= 128;
}

export function checkPort(v: unknown, path: string, report: Reporter): void {
  const n = num(v);
  if (n !== undefined && Number.isInteger(n) && (n < 1 || n > 65535)) {
    report.error(path, `port number ${n} must be in the range 1..65535`);
  }
}

/** Istio's ValidateDuration: at least 1ms (or 0 where zero means "off"), millisecond precision. */
export function checkDuration(v: unknown, path: string, report: Reporter, allowZero = false): void {
  const text = str(v);
  const ms = text === undefined ? undefined : parseDuration(text);
  if (ms === undefined) return; // the shape check reports it
  if (ms === 0 && allowZero) return;
  if (ms < 1) report.error(path, `duration must be at least 1ms, got ${JSON.stringify(text)}`);
  else if (Math.abs(ms - Math.round(ms)) > 1e-9) {
    report.error(path, `only durations to ms precision are supported, got ${JSON.stringify(text)}`);
  }
}

/** Istio's Percent: 0, or between 0.0001 and 100. */
export function checkPercentage(v: unknown, path: string, report: Reporter): void {
  const value = num(obj(v)?.value);
  if (value === undefined) return;
  if (value < 0 || value > 100 || (value > 0 && value < 0.0001)) {
    report.error(field(path, "value"), `percentage must be 0 or in range 0.0001..100, got ${value}`);
  }
}

const PROTOCOLS = [
  "http",
  "http2",
  "https",
  "tcp",
  "tls",
  "grpc",
  "grpc-web",
  "mongo",
  "redis",
  "mysql",
  "udp",
  "http_proxy",
];
const HTTP_PROTOCOLS = new Set(["http", "http2", "grpc", "grpc-web", "http_proxy"]);

/** Istio's protocol.Parse (case-insensitive); undefined when unsupported. */
export function parseProtocol(p: string): string | undefined {
  const lower = p.toLowerCase();
  return PROTOCOLS.includes(lower) ? lower : undefined;
}
export const isHTTPProtocol = (p: string | undefined): boolean =>
  p !== undefined && HTTP_PROTOCOLS.has(p.toLowerCase());
export const isTLSProtocol = (p: string | undefined): boolean =>
  p !== undefined && ["https", "tls"].includes(p.toLowerCase());

export function checkProtocol(v: unknown, path: string, report: Reporter): void {
  const p = str(v);
  if (p !== undefined && p !== "" && parseProtocol(p) === undefined) {
    report.error(
      path,
      `unsupported protocol ${
        JSON.stringify(p)
      }: use HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TCP, TLS, MONGO, REDIS, MYSQL or UDP`,
    );
  }
}

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Kubernetes label keys ([prefix/]name) and values (≤ 63, alphanumeric at both ends); non-string values are
 * reported only with `reportTypes` (elsewhere the schema's shape check reports them). */
export function checkLabels(v: unknown, path: string, report: Reporter, reportTypes = false): void {
  const labels = obj(v);
  if (labels === undefined) return;
  for (const [key, value] of Object.entries(labels)) {
    const at = field(path, key);
    const slash = key.lastIndexOf("/");
    const prefix = slash < 0 ? undefined : key.slice(0, slash);
    const name = slash < 0 ? key : key.slice(slash + 1);
    if (name.length > 63 || !LABEL_NAME.test(name) || (prefix !== undefined && !isDNS1123Subdomain(prefix))) {
      report.error(at, `invalid label key ${JSON.stringify(key)}`);
    }
    if (typeof value !== "string") {
      if (reportTypes) {
        report.error(at, `label values must be strings, got ${JSON.stringify(value)} (quote it)`);
      }
    } else if (value !== "" && (value.length > 63 || !LABEL_NAME.test(value))) {
      report.error(at, `invalid label value ${JSON.stringify(value)}`);
    }
  }
}

/** Workload selectors may not use "*" or empty keys; an empty selector selects everything (a warning). */
export function checkSelector(v: unknown, path: string, report: Reporter): void {
  const labels = obj(v);
  if (labels === undefined) return;
  if (Object.keys(labels).length === 0) {
    report.warn(
      path,
      "workload selector specified without labels: it selects every workload in the namespace",
    );
  }
  for (const [key, value] of Object.entries(labels)) {
    if (key.includes("*") || String(value).includes("*")) {
      report.error(field(path, key), `wildcard is not supported in selector: "${key}=${value}"`);
    }
  }
  checkLabels(labels, path, report);
}

export const HEADER_NAME = /^[-_A-Za-z0-9]+$/;

/** Compiles a regex (Istio uses RE2; JavaScript's syntax is close enough to catch typos). */
export function regexError(re: string): string | undefined {
  if (re === "") return "regex string match should not be empty";
  if (re.length > 1024) return "regex is too large, max length allowed is 1024";
  if (/\(\?<?[=!]/.test(re)) {
    return `invalid regex ${
      JSON.stringify(re)
    }: RE2 (used by Istio and Envoy) has no lookahead or lookbehind`;
  }
  if (/(^|[^\\])\\[1-9]/.test(re)) {
    return `invalid regex ${JSON.stringify(re)}: RE2 (used by Istio and Envoy) has no backreferences`;
  }
  try {
    new RegExp(re);
    return undefined;
  } catch (err) {
    return `invalid regex ${JSON.stringify(re)}: ${
      (err as Error).message.replace(/^Invalid regular expression: /, "")
    }`;
  }
}

export function checkStringMatch(v: unknown, path: string, report: Reporter): void {
  const m = obj(v);
  if (m === undefined) return;
  const re = str(m.regex);
  if (re !== undefined) {
    const err = regexError(re);
    if (err) report.error(field(path, "regex"), err);
  }
  if (!isSet(m.exact) && !isSet(m.prefix) && !isSet(m.regex)) {
    report.error(path, "string match needs one of exact, prefix or regex");
  }
}

/** "name", "ns/name", "mesh", or the legacy "name.ns[.svc.cluster.local]" form. */
export function checkGatewayNames(v: unknown, path: string, report: Reporter): void {
  list(v).forEach((g, i) => {
    const name = str(g);
    if (name === undefined) return;
    const at = field(path, i);
    const parts = name.split("/");
    if (parts.length === 1) {
      if (name.includes(".")) {
        const [n, ns] = name.split(".");
        report.warn(
          at,
          `using legacy gateway name format ${JSON.stringify(name)}; prefer <namespace>/<name>: "${ns}/${n}"`,
        );
      }
      const err = fqdnError(name);
      if (err) report.error(at, err);
      return;
    }
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
      return report.error(at, `invalid gateway reference ${JSON.stringify(name)}: use <namespace>/<name>`);
    }
    if (!isDNS1123Label(parts[0])) {
      report.error(at, `invalid namespace ${JSON.stringify(parts[0])} in gateway reference`);
    }
    if (!isDNS1123Label(parts[1])) report.error(at, `invalid gateway name ${JSON.stringify(parts[1])}`);
  });
}

/** exportTo entries: ".", "*", "~" (ServiceEntry only) or a namespace; no duplicates; "*" alone. */
export function checkExportTo(
  v: unknown,
  path: string,
  namespace: string,
  report: Reporter,
  allowNone = false,
): void {
  const entries = list(v).map(str);
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (e === undefined) return;
    const key = e === "." ? namespace : e;
    if (seen.has(key)) report.error(field(path, i), `duplicate entry in exportTo: ${JSON.stringify(e)}`);
    seen.add(key);
    if (e === "~" && !allowNone) report.error(field(path, i), `exportTo "~" is only allowed on ServiceEntry`);
    if (e !== "." && e !== "*" && e !== "~" && !isDNS1123Label(e)) {
      report.error(field(path, i), `invalid exportTo namespace ${JSON.stringify(e)}`);
    }
  });
  if (seen.has("*") && entries.length > 1) {
    report.error(path, "cannot have both public (*) and non-public exportTo values");
  }
  if (seen.has("~") && entries.length > 1) report.error(path, "cannot export to no one (~) and someone");
}

export function checkDestination(v: unknown, path: string, report: Reporter): void {
  const d = obj(v);
  if (d === undefined) return;
  const host = str(d.host);
  if (host === undefined || host === "") report.error(field(path, "host"), "destination host is required");
  else if (host === "*") report.error(field(path, "host"), `invalid destination host "*"`);
  else {
    const err = wildcardDomainError(host);
    if (err) report.error(field(path, "host"), err);
  }
  const subset = str(d.subset);
  if (subset !== undefined && !isDNS1123Label(subset)) {
    report.error(field(path, "subset"), `subset name ${JSON.stringify(subset)} is invalid`);
  }
  const port = obj(d.port);
  if (port !== undefined) checkPort(port.number, field(field(path, "port"), "number"), report);
}
