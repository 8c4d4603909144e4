import { describe, expect, it } from "vitest";
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { RetryPolicySchema } from "../../../gen/envoy/config/route/v3/route_components_pb.ts";
import {
  backoffMs,
  compileRetryPolicy,
  type RetryOutcome,
  type RetryPolicy,
  shouldRetry,
} from "../../../proxy/route/retry-policy.ts";
import { seeded } from "./helpers.ts";
import { isWeftError } from "../../../proxy/errors.ts";

const policy = (json: JsonValue): RetryPolicy =>
  compileRetryPolicy(fromJson(RetryPolicySchema, json), "retry_policy");

describe("retry policy compile", () => {
  it("applies Envoy's defaults", () => {
    const p = compileRetryPolicy(create(RetryPolicySchema), "retry_policy");
    expect(p).toMatchObject({
      retryOn: 0,
      numRetries: 1,
      perTryTimeoutMs: 0,
      baseIntervalMs: 25,
      maxIntervalMs: 250,
      hostSelectionRetryMaxAttempts: 1,
      retryHostPredicates: [],
    });
  });

  it("reads every supported field", () => {
    const p = policy({
      retry_on: "5xx, retriable-status-codes ,unavailable",
      num_retries: 3,
      per_try_timeout: "0.25s",
      retry_back_off: { base_interval: "0.1s", max_interval: "2s" },
      retriable_status_codes: [418],
      retry_host_predicate: [{ name: "envoy.retry_host_predicates.previous_hosts" }],
      host_selection_retry_max_attempts: "5",
    });
    expect(p).toMatchObject({
      numRetries: 3,
      perTryTimeoutMs: 250,
      baseIntervalMs: 100,
      maxIntervalMs: 2000,
      retryHostPredicates: ["envoy.retry_host_predicates.previous_hosts"],
      hostSelectionRetryMaxAttempts: 5,
    });
    expect([...p.retriableStatusCodes]).toEqual([418]);
  });

  it("defaults max_interval to 10 × base_interval", () => {
    expect(policy({ retry_back_off: { base_interval: "0.05s" } }).maxIntervalMs).toBe(500);
  });

  it("rejects unknown retry_on tokens and unsupported predicates with the field path", () => {
    expect(() => policy({ retry_on: "5xx,bogus" })).toThrowError(/retry_policy\.retry_on: .*"bogus"/);
    expect(() => policy({ retry_on: "5xx,bogus" })).toThrow(expect.objectContaining({ code: "config" }));
    expect(() =>
      policy({ retry_host_predicate: [{ name: "envoy.retry_host_predicates.omit_canary_hosts" }] })
    )
      .toThrowError(/retry_host_predicate\[0\]\.name/);
    expect(() => policy({ retry_back_off: { base_interval: "1s", max_interval: "0.5s" } })).toThrowError(
      /max_interval/,
    );
    try {
      policy({ retry_on: "nope" });
    } catch (err) {
      expect(isWeftError(err, "config")).toBe(true);
    }
  });
});

describe("shouldRetry", () => {
  const on = (retryOn: string, extra: Record<string, JsonValue> = {}) =>
    policy({ retry_on: retryOn, ...extra });
  const cases: [string, RetryOutcome, boolean][] = [
    ["5xx", { status: 500 }, true],
    ["5xx", { status: 503 }, true],
    ["5xx", { status: 499 }, false],
    ["5xx", { errorCode: "upstream_connect_failure" }, true],
    ["5xx", { errorCode: "upstream_reset" }, true],
    ["5xx", { errorCode: "upstream_per_try_timeout" }, true],
    ["5xx", { errorCode: "upstream_overflow" }, false],
    ["5xx", { errorCode: "upstream_timeout" }, false],
    ["gateway-error", { status: 502 }, true],
    ["gateway-error", { status: 503 }, true],
    ["gateway-error", { status: 504 }, true],
    ["gateway-error", { status: 500 }, false],
    ["gateway-error", { errorCode: "upstream_connect_timeout" }, true],
    ["gateway-error", { errorCode: "upstream_per_try_timeout" }, true],
    ["reset", { errorCode: "upstream_reset" }, true],
    ["reset", { errorCode: "upstream_refused_stream" }, true],
    ["reset", { status: 503 }, false],
    ["connect-failure", { errorCode: "upstream_connect_failure" }, true],
    ["connect-failure", { errorCode: "upstream_connect_timeout" }, true],
    ["connect-failure", { errorCode: "upstream_reset" }, false],
    ["connect-failure", { status: 503 }, false],
    ["refused-stream", { errorCode: "upstream_refused_stream" }, true],
    ["refused-stream", { errorCode: "upstream_reset" }, false],
    ["retriable-4xx", { status: 409 }, true],
    ["retriable-4xx", { status: 404 }, false],
    ["cancelled", { grpcStatus: 1 }, true],
    ["deadline-exceeded", { grpcStatus: 4 }, true],
    ["resource-exhausted", { grpcStatus: 8 }, true],
    ["internal", { grpcStatus: 13 }, true],
    ["unavailable", { grpcStatus: 14 }, true],
    ["unavailable", { grpcStatus: 13 }, false],
    ["cancelled,unavailable", { status: 200, grpcStatus: 0 }, false],
    ["", { status: 503 }, false],
  ];
  it.each(cases)("retry_on %s with %o → %s", (retryOn, outcome, expected) => {
    expect(shouldRetry(on(retryOn), outcome)).toBe(expected);
  });

  it("retriable-status-codes retries the listed codes only", () => {
    const p = on("retriable-status-codes", { retriable_status_codes: [418, 429] });
    expect(shouldRetry(p, { status: 418 })).toBe(true);
    expect(shouldRetry(p, { status: 429 })).toBe(true);
    expect(shouldRetry(p, { status: 500 })).toBe(false);
    expect(shouldRetry(on("5xx", { retriable_status_codes: [418] }), { status: 418 })).toBe(false);
  });
});

describe("backoffMs", () => {
  it("stays in [0, min(base·2^n, max)) and grows then caps", () => {
    const p = policy({ retry_back_off: { base_interval: "0.025s", max_interval: "0.25s" } });
    const random = seeded(7);
    for (let attempt = 0; attempt < 8; attempt++) {
      const ceiling = Math.min(25 * 2 ** attempt, 250);
      let max = 0;
      for (let i = 0; i < 500; i++) {
        const ms = backoffMs(p, attempt, random);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThan(ceiling);
        expect(Number.isInteger(ms)).toBe(true);
        max = Math.max(max, ms);
      }
      expect(max).toBeGreaterThan(ceiling * 0.9);
    }
    expect(backoffMs(p, 0, () => 0.999999)).toBe(24);
    expect(backoffMs(p, 3, () => 0.5)).toBe(100);
    expect(backoffMs(p, 1000, () => 0.5)).toBe(125);
  });
});
