// envoy.config.route.v3.RetryPolicy compiled once, plus Envoy's retry decision and jittered back-off.
import type { RetryPolicy as RetryPolicyProto } from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import type { ErrorCode } from "../errors.ts";
import { configError, rejectUnsupported } from "./config-error.ts";
import { durationToMs } from "./duration.ts";

/** retry_on conditions as bits. */
export const RetryOn = {
  "5xx": 1 << 0,
  "gateway-error": 1 << 1,
  "reset": 1 << 2,
  "connect-failure": 1 << 3,
  "retriable-4xx": 1 << 4,
  "refused-stream": 1 << 5,
  "retriable-status-codes": 1 << 6,
  "cancelled": 1 << 7,
  "deadline-exceeded": 1 << 8,
  "resource-exhausted": 1 << 9,
  "unavailable": 1 << 10,
  "internal": 1 << 11,
  /** HTTP/3 only; accepted and never triggers (Weft speaks no HTTP/3). */
  "http3-post-connect-failure": 0,
} as const;

export const PREVIOUS_HOSTS_PREDICATE = "envoy.retry_host_predicates.previous_hosts";

/** A compiled retry policy. */
export interface RetryPolicy {
  /** Bit set of `RetryOn` values. */
  readonly retryOn: number;
  /** Retries after the first attempt (default 1). */
  readonly numRetries: number;
  /** Per-attempt timeout in ms; 0 = none (the route timeout still applies). */
  readonly perTryTimeoutMs: number;
  /** Per-attempt idle timeout in ms; 0 = none. */
  readonly perTryIdleTimeoutMs: number;
  /** Back-off base (default 25 ms) and cap (default 10 × base). */
  readonly baseIntervalMs: number;
  readonly maxIntervalMs: number;
  readonly retriableStatusCodes: ReadonlySet<number>;
  /** Host predicate names; only "envoy.retry_host_predicates.previous_hosts" is supported. */
  readonly retryHostPredicates: readonly string[];
  /** Host selection attempts per retry when a predicate rejects a host (default 1). */
  readonly hostSelectionRetryMaxAttempts: number;
}

/** What an attempt came back with: a response status, a gRPC status (trailer or trailers-only), or an error. */
export interface RetryOutcome {
  readonly status?: number;
  readonly grpcStatus?: number;
  readonly errorCode?: ErrorCode;
}

const GRPC_BITS: Record<number, number> = {
  1: RetryOn.cancelled,
  4: RetryOn["deadline-exceeded"],
  8: RetryOn["resource-exhausted"],
  13: RetryOn.internal,
  14: RetryOn.unavailable,
};

const ANY_RESET = RetryOn["5xx"] | RetryOn["gateway-error"] | RetryOn.reset;
const ERROR_BITS: Partial<Record<ErrorCode, number>> = {
  upstream_connect_failure: ANY_RESET | RetryOn["connect-failure"],
  upstream_connect_timeout: ANY_RESET | RetryOn["connect-failure"],
  upstream_refused_stream: ANY_RESET | RetryOn["refused-stream"],
  upstream_reset: ANY_RESET,
  upstream_protocol: ANY_RESET,
  // Envoy treats a per-try timeout as a local reset: 5xx, gateway-error and reset ("read timeout") retry it.
  upstream_per_try_timeout: ANY_RESET,
};

/** Compiles a RetryPolicy; `path` names the field for errors (e.g. "virtual_hosts[0].routes[1].route.retry_policy"). */
export function compileRetryPolicy(p: RetryPolicyProto, path: string): RetryPolicy {
  let retryOn = 0;
  for (const raw of p.retryOn.split(",")) {
    const token = raw.trim();
    if (token === "") continue;
    if (!Object.hasOwn(RetryOn, token)) {
      throw configError(`${path}.retry_on`, `unknown or unsupported retry condition "${token}"`);
    }
    retryOn |= RetryOn[token as keyof typeof RetryOn];
  }
  rejectUnsupported(p.retryPriority !== undefined, `${path}.retry_priority`);
  rejectUnsupported(p.retryOptionsPredicates.length > 0, `${path}.retry_options_predicates`);
  rejectUnsupported(p.rateLimitedRetryBackOff !== undefined, `${path}.rate_limited_retry_back_off`);
  rejectUnsupported(p.retriableHeaders.length > 0, `${path}.retriable_headers`);
  rejectUnsupported(p.retriableRequestHeaders.length > 0, `${path}.retriable_request_headers`);
  const predicates = p.retryHostPredicate.map((h, i) => {
    if (h.name !== PREVIOUS_HOSTS_PREDICATE) {
      throw configError(
        `${path}.retry_host_predicate[${i}].name`,
        `unsupported retry host predicate "${h.name}"`,
      );
    }
    return h.name;
  });
  const backOff = p.retryBackOff;
  const base = durationToMs(backOff?.baseInterval, `${path}.retry_back_off.base_interval`, 25);
  if (base <= 0) throw configError(`${path}.retry_back_off.base_interval`, "must be greater than 0");
  const max = durationToMs(backOff?.maxInterval, `${path}.retry_back_off.max_interval`, base * 10);
  if (max < base) {
    throw configError(`${path}.retry_back_off.max_interval`, "must not be less than base_interval");
  }
  for (const [i, code] of p.retriableStatusCodes.entries()) {
    if (code < 100 || code > 599) {
      throw configError(`${path}.retriable_status_codes[${i}]`, `invalid status ${code}`);
    }
  }
  const attempts = Number(p.hostSelectionRetryMaxAttempts);
  return {
    retryOn,
    numRetries: p.numRetries ?? 1,
    perTryTimeoutMs: durationToMs(p.perTryTimeout, `${path}.per_try_timeout`, 0),
    perTryIdleTimeoutMs: durationToMs(p.perTryIdleTimeout, `${path}.per_try_idle_timeout`, 0),
    baseIntervalMs: base,
    maxIntervalMs: max,
    retriableStatusCodes: new Set(p.retriableStatusCodes),
    retryHostPredicates: predicates,
    hostSelectionRetryMaxAttempts: attempts > 0 ? attempts : 1,
  };
}

/**
 * Whether `policy` retries this outcome (the caller counts attempts against `numRetries`).
 * Errors: connect failures/timeouts retry on connect-failure; refused streams on refused-stream;
 * any reset-like error (connect failure, reset, refused stream, protocol error, per-try timeout)
 * on reset, 5xx and gateway-error. Overflow and the global timeout never retry.
 * Statuses: ≥500 on 5xx; 502/503/504 on gateway-error; 409 on retriable-4xx; listed codes on
 * retriable-status-codes. gRPC statuses 1, 4, 8, 13, 14 on their names.
 */
export function shouldRetry(policy: RetryPolicy, outcome: RetryOutcome): boolean {
  const on = policy.retryOn;
  if (outcome.errorCode !== undefined && ((ERROR_BITS[outcome.errorCode] ?? 0) & on) !== 0) return true;
  const status = outcome.status;
  if (status !== undefined) {
    if (status >= 500 && (on & RetryOn["5xx"]) !== 0) return true;
    if ((status === 502 || status === 503 || status === 504) && (on & RetryOn["gateway-error"]) !== 0) {
      return true;
    }
    if (status === 409 && (on & RetryOn["retriable-4xx"]) !== 0) return true;
    if ((on & RetryOn["retriable-status-codes"]) !== 0 && policy.retriableStatusCodes.has(status)) {
      return true;
    }
  }
  const grpc = outcome.grpcStatus;
  return grpc !== undefined && ((GRPC_BITS[grpc] ?? 0) & on) !== 0;
}

/**
 * Envoy's fully jittered exponential back-off before retry number `attemptIndex` (0 = first retry):
 * a whole number of ms, uniform in [0, min(base · 2^attemptIndex, max)).
 */
export function backoffMs(policy: RetryPolicy, attemptIndex: number, random: () => number): number {
  const ceiling = Math.min(policy.baseIntervalMs * 2 ** Math.min(attemptIndex, 52), policy.maxIntervalMs);
  return Math.floor(random() * ceiling);
}
