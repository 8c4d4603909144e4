// VirtualService http[] actions and policies: CORS, fault injection, mirrors, redirect, directResponse,
// rewrite and retries.
import { field } from "./problem.ts";
import type { Reporter } from "./schema.ts";
import {
  checkDestination,
  checkDuration,
  checkPercentage,
  checkPort,
  checkStringMatch,
  HEADER_NAME,
  isSet,
  list,
  num,
  obj,
  regexError,
  str,
} from "./validate-common.ts";

const RETRY_ON = new Set([
  "5xx",
  "gateway-error",
  "reset",
  "reset-before-request",
  "connect-failure",
  "retriable-4xx",
  "refused-stream",
  "retriable-status-codes",
  "retriable-headers",
  "envoy-ratelimited",
  "http3-post-connect-failure",
  "cancelled",
  "deadline-exceeded",
  "internal",
  "resource-exhausted",
  "unavailable",
]);
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"]);
const GRPC_STATUS = new Set([
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
]);

export function checkCors(v: unknown, path: string, report: Reporter): void {
  const c = obj(v);
  if (c === undefined) return;
  list(c.allowOrigins).forEach((o, i) => {
    const m = obj(o);
    const value = m === undefined ? undefined : str(m.exact) ?? str(m.prefix) ?? str(m.regex);
    if (m !== undefined && !value) {
      report.error(
        field(field(path, "allowOrigins"), i),
        "allowOrigins entries need a non-empty exact, prefix or regex",
      );
    } else checkStringMatch(o, field(field(path, "allowOrigins"), i), report);
  });
  list(c.allowMethods).forEach((m, i) => {
    if (typeof m === "string" && !METHODS.has(m)) {
      report.error(
        field(field(path, "allowMethods"), i),
        `${JSON.stringify(m)} is not a supported HTTP method`,
      );
    }
  });
  for (const k of ["allowHeaders", "exposeHeaders"]) {
    list(c[k]).forEach((h, i) => {
      if (typeof h === "string" && h !== "*" && !HEADER_NAME.test(h)) {
        report.error(field(field(path, k), i), `header name ${JSON.stringify(h)} is not a valid header name`);
      }
    });
  }
  if (isSet(c.allowOrigin)) {
    report.warn(field(path, "allowOrigin"), `"allowOrigin" is deprecated, use "allowOrigins"`);
  }
  checkDuration(c.maxAge, field(path, "maxAge"), report);
}

export function checkFault(v: unknown, path: string, report: Reporter): void {
  const f = obj(v);
  if (f === undefined) return;
  const delay = obj(f.delay);
  const abort = obj(f.abort);
  if (delay === undefined && abort === undefined) {
    report.error(path, "HTTP fault injection must have an abort and/or a delay");
  }
  if (delay !== undefined) {
    const at = field(path, "delay");
    checkPercentage(delay.percentage, field(at, "percentage"), report);
    if (isSet(delay.percent)) {
      const p = num(delay.percent);
      if (p !== undefined && (p < 0 || p > 100)) {
        report.error(field(at, "percent"), `must be 0..100, got ${p}`);
      }
      report.warn(field(at, "percent"), `"percent" is deprecated, use "percentage: {value: …}"`);
    }
    if (isSet(delay.exponentialDelay)) {
      report.error(field(at, "exponentialDelay"), "exponentialDelay is not supported");
    } else if (!isSet(delay.fixedDelay)) report.error(at, "delay needs fixedDelay");
    checkDuration(delay.fixedDelay, field(at, "fixedDelay"), report);
  }
  if (abort !== undefined) {
    const at = field(path, "abort");
    checkPercentage(abort.percentage, field(at, "percentage"), report);
    const status = num(abort.httpStatus);
    if (status !== undefined && (status < 200 || status > 599)) {
      report.error(field(at, "httpStatus"), `HTTP status ${status} is not in range 200..599`);
    }
    const grpc = str(abort.grpcStatus);
    if (grpc !== undefined && !GRPC_STATUS.has(grpc)) {
      report.error(
        field(at, "grpcStatus"),
        `gRPC status ${JSON.stringify(grpc)} is not supported; use a code name such as "UNAVAILABLE"`,
      );
    }
    if (isSet(abort.http2Error)) {
      report.error(field(at, "http2Error"), "HTTP/2 abort fault injection is not supported");
    }
    if (!isSet(abort.httpStatus) && !isSet(abort.grpcStatus) && !isSet(abort.http2Error)) {
      report.warn(at, "abort configured, but error type not set");
    }
  }
}

export function checkMirrors(r: Record<string, unknown>, path: string, report: Reporter): void {
  if (isSet(r.mirror)) {
    const m = obj(r.mirror);
    if (m !== undefined) checkDestination(m, field(path, "mirror"), report);
  }
  const pct = num(r.mirrorPercent);
  if (isSet(r.mirrorPercent)) {
    if (pct !== undefined && pct > 100) {
      report.error(field(path, "mirrorPercent"), `must be 0..100, got ${pct}`);
    }
    report.warn(field(path, "mirrorPercent"), `"mirrorPercent" is deprecated, use "mirrorPercentage"`);
  }
  const mp = num(obj(r.mirrorPercentage)?.value);
  if (mp !== undefined && (mp < 0 || mp > 100)) {
    report.error(field(field(path, "mirrorPercentage"), "value"), `must be 0..100, got ${mp}`);
  }
  list(r.mirrors).forEach((m, i) => {
    const at = field(field(path, "mirrors"), i);
    const mirror = obj(m);
    if (mirror === undefined || !isSet(mirror.destination)) {
      return report.error(at, "destination is required for mirrors");
    }
    checkDestination(mirror.destination, field(at, "destination"), report);
    const value = num(obj(mirror.percentage)?.value);
    if (value !== undefined && (value < 0 || value > 100)) {
      report.error(field(field(at, "percentage"), "value"), `must be 0..100, got ${value}`);
    }
  });
}

export function checkRedirect(v: unknown, path: string, report: Reporter): void {
  const r = obj(v);
  if (r === undefined) return;
  if (!str(r.uri) && !str(r.authority) && !isSet(r.port) && !isSet(r.derivePort) && !str(r.scheme)) {
    report.error(path, "redirect must specify uri, authority, scheme, or port");
  }
  const code = num(r.redirectCode);
  if (code !== undefined && code !== 0 && (code < 300 || code > 399)) {
    report.error(field(path, "redirectCode"), `${code} is not a valid redirect code, must be 3xx`);
  }
  const scheme = str(r.scheme);
  if (scheme !== undefined && scheme !== "" && scheme !== "http" && scheme !== "https") {
    report.error(
      field(path, "scheme"),
      `invalid redirect scheme ${JSON.stringify(scheme)}, must be "http" or "https"`,
    );
  }
  checkPort(r.port, field(path, "port"), report);
}

export function checkDirectResponse(v: unknown, path: string, report: Reporter): void {
  const d = obj(v);
  if (d === undefined) return;
  const status = num(d.status);
  if (status === undefined) report.error(field(path, "status"), "directResponse status is required");
  else if (status < 200 || status > 599) {
    report.error(field(path, "status"), `HTTP status ${status} is not in range 200..599`);
  }
  const body = obj(d.body);
  const size = (str(body?.string) ?? str(body?.bytes) ?? "").length;
  if (size > 1024 * 1024) report.error(field(path, "body"), "directResponse body must be less than 1MB");
  else if (size > 100 * 1024) {
    report.warn(field(path, "body"), "large directResponse bodies may impact control plane performance");
  }
}

export function checkRewrite(v: unknown, path: string, report: Reporter): void {
  const r = obj(v);
  if (r === undefined) return;
  const rr = obj(r.uriRegexRewrite);
  if (str(r.uri) && rr !== undefined) {
    report.error(path, "rewrite may only contain one of uri or uriRegexRewrite");
  }
  if (!str(r.uri) && rr === undefined && !str(r.authority)) {
    report.error(path, "rewrite must specify at least one of uri, uriRegexRewrite, or authority");
  }
  if (rr !== undefined) {
    const at = field(path, "uriRegexRewrite");
    const match = str(rr.match);
    if (!match || str(rr.rewrite) === undefined || str(rr.rewrite) === "") {
      report.error(at, "uriRegexRewrite requires both match and rewrite");
    }
    const err = match ? regexError(match) : undefined;
    if (err) report.error(field(at, "match"), err);
  }
}

export function checkRetries(v: unknown, path: string, report: Reporter): void {
  const r = obj(v);
  if (r === undefined) return;
  const attempts = num(r.attempts) ?? 0;
  if (attempts < 0) report.error(field(path, "attempts"), "attempts cannot be negative");
  if (attempts === 0 && (isSet(r.perTryTimeout) || str(r.retryOn) || isSet(r.retryRemoteLocalities))) {
    report.error(path, "http retry policy configured when attempts are set to 0 (disabled)");
  }
  checkDuration(r.perTryTimeout, field(path, "perTryTimeout"), report);
  checkDuration(r.backoff, field(path, "backoff"), report);
  const retryOn = str(r.retryOn);
  if (retryOn) {
    for (const policy of retryOn.split(",")) {
      const p = policy.trim();
      const status = /^\d{3}$/.test(p) ? Number(p) : 0;
      if (!RETRY_ON.has(p) && (status < 100 || status > 599)) {
        report.error(field(path, "retryOn"), `${JSON.stringify(p)} is not a valid retryOn policy`);
      }
    }
  }
}
