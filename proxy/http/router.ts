// The router filter's upstream half: pick a host, send the request, apply timeouts and retries with back-off.
import type { Runtime } from "../runtime/types.ts";
import type { UpstreamCluster } from "../cluster/cluster.ts";
import type { Host } from "../cluster/host.ts";
import { WeftError } from "../errors.ts";
import type { Body, DownstreamRequest, HeaderMap, UpstreamRequest, UpstreamResponse } from "./types.ts";
import { Attempt } from "./attempt.ts";
import type { ResponseFlag } from "./local-reply.ts";
import { backoffMs, PREVIOUS_HOSTS_PREDICATE, type RetryPolicy, shouldRetry } from "../route/retry-policy.ts";

export interface ForwardOptions {
  /** Whole-request timeout (0 = none). */
  readonly timeoutMs: number;
  readonly retry?: RetryPolicy;
  readonly hash?: number;
  /** The downstream request: when it goes away the attempt in flight is reset and nothing is retried. */
  readonly downstream?: DownstreamRequest;
}

export type ForwardResult =
  | {
    readonly ok: true;
    readonly response: UpstreamResponse;
    readonly host: Host;
    readonly attempts: number;
    /** ["URX"] when the response was still retriable but the retries were used up. */
    readonly flags?: readonly ResponseFlag[];
  }
  | {
    readonly ok: false;
    readonly error: WeftError;
    readonly flags: ResponseFlag[];
    readonly attempts: number;
  };

/** Largest request body buffered so that it can be replayed on retry. */
const RETRY_BUFFER_LIMIT = 64 * 1024;

export function forward(
  runtime: Runtime,
  cluster: UpstreamCluster,
  request: UpstreamRequest,
  options: ForwardOptions,
): Promise<ForwardResult> {
  if (cluster.activeRequests >= cluster.maxRequests) {
    cluster.stats.upstream_rq_pending_overflow.value++;
    return Promise.resolve({
      ok: false,
      error: new WeftError("upstream_overflow", `cluster ${cluster.name} is at max_requests`),
      flags: ["UO"],
      attempts: 0,
    });
  }
  const maxAttempts = 1 + (options.retry?.numRetries ?? 0);
  if (maxAttempts > 1 && request.body !== null && !(request.body instanceof Uint8Array)) {
    return bufferForReplay(request.body).then((buffered) => {
      if (buffered.replayable) {
        request.body = buffered.bytes;
        return new Forwarding(runtime, cluster, request, options, maxAttempts).next();
      }
      request.body = buffered.stream;
      return new Forwarding(runtime, cluster, request, options, 1).next();
    });
  }
  return new Forwarding(runtime, cluster, request, options, maxAttempts).next();
}

/**
 * The attempts of one request: a state machine rather than an async loop, so that the common case (one
 * attempt, no retry) allocates one object and one promise chain.
 */
class Forwarding {
  #runtime: Runtime;
  #cluster: UpstreamCluster;
  #request: UpstreamRequest;
  #options: ForwardOptions;
  #maxAttempts: number;
  #startedAt: number;
  #deadline: number;
  #tried: Set<Host> | undefined;
  #attempt = 0;
  #retried = false;
  #lastError: WeftError | undefined;
  #host: Host | undefined;

  constructor(
    runtime: Runtime,
    cluster: UpstreamCluster,
    request: UpstreamRequest,
    options: ForwardOptions,
    maxAttempts: number,
  ) {
    this.#runtime = runtime;
    this.#cluster = cluster;
    this.#request = request;
    this.#options = options;
    this.#maxAttempts = maxAttempts;
    const timeoutMs = options.timeoutMs;
    const now = this.#startedAt = runtime.clock.now();
    this.#deadline = timeoutMs > 0 ? now + timeoutMs : Infinity;
    this.#tried = options.retry?.retryHostPredicates.includes(PREVIOUS_HOSTS_PREDICATE)
      ? new Set<Host>()
      : undefined;
  }

  /** Starts attempt number `#attempt` (after the back-off for a retry), or gives the final result. */
  next(): Promise<ForwardResult> {
    const attempt = this.#attempt;
    if (attempt >= this.#maxAttempts) return Promise.resolve(this.#failed());
    if (attempt === 0) return this.#send();
    const cluster = this.#cluster;
    if (cluster.activeRetries >= cluster.maxRetries) {
      cluster.stats.upstream_rq_retry_overflow.value++;
      return Promise.resolve(this.#failed());
    }
    cluster.stats.upstream_rq_retry.value++;
    this.#retried = true;
    const wait = Math.min(
      backoffMs(this.#options.retry!, attempt - 1, this.#runtime.random),
      this.#deadline - this.#runtime.clock.now(),
    );
    if (wait > 0) return sleep(this.#runtime, wait).then(() => this.#send());
    return this.#send();
  }

  #send(): Promise<ForwardResult> {
    const { retry, timeoutMs } = this.#options;
    const cluster = this.#cluster;
    const attempt = this.#attempt;
    // The first attempt starts now: exactly the route timeout remains (no second clock read).
    const now = attempt === 0 ? this.#startedAt : this.#runtime.clock.now();
    const remaining = attempt === 0 ? (timeoutMs > 0 ? timeoutMs : Infinity) : this.#deadline - now;
    if (remaining <= 0) {
      this.#lastError = new WeftError("upstream_timeout", `route timeout of ${timeoutMs} ms elapsed`);
      return Promise.resolve(this.#failed());
    }
    const host = cluster.pick({ hash: this.#options.hash, excluded: this.#tried });
    if (!host) {
      cluster.stats.upstream_cx_none_healthy.value++;
      return Promise.resolve({
        ok: false,
        error: new WeftError("upstream_connect_failure", `no healthy upstream in cluster ${cluster.name}`),
        flags: ["UH"],
        attempts: attempt,
      });
    }
    this.#tried?.add(host);
    this.#host = host;
    const perTry = retry && retry.perTryTimeoutMs > 0
      ? Math.min(retry.perTryTimeoutMs, remaining)
      : remaining;
    return new Attempt(this.#runtime, cluster, host, perTry, perTry < remaining, attempt > 0, now)
      .run(this.#request, this.#options.downstream, this.#onOutcome);
  }

  #onOutcome = (outcome: Attempt): ForwardResult | Promise<ForwardResult> => {
    const retry = this.#options.retry;
    const cluster = this.#cluster;
    const attempt = this.#attempt;
    const res = outcome.response;
    if (res) {
      const retriable = retry !== undefined &&
        shouldRetry(retry, { status: res.status, grpcStatus: grpcStatusOf(res.headers) });
      // The retry budget (circuit breaker max_retries) is checked before the answer is thrown away.
      if (retriable && attempt + 1 < this.#maxAttempts && cluster.activeRetries < cluster.maxRetries) {
        discard(res.body);
        this.#attempt++;
        return this.next();
      }
      if (retriable && attempt + 1 < this.#maxAttempts) cluster.stats.upstream_rq_retry_overflow.value++;
      const host = this.#host!;
      // A still-retriable answer after retries is "retry limit exceeded" (URX), not a retry success.
      if (this.#retried && retriable) {
        return { ok: true, response: res, host, attempts: attempt + 1, flags: ["URX"] };
      }
      if (this.#retried) cluster.stats.upstream_rq_retry_success.value++;
      return { ok: true, response: res, host, attempts: attempt + 1 };
    }
    const error = this.#lastError = outcome.error!;
    if (error.code === "upstream_timeout" || error.code === "downstream_reset") return this.#failed();
    if (!retry || !shouldRetry(retry, { errorCode: error.code })) return this.#failed();
    this.#attempt++;
    return this.next();
  };

  #failed(): ForwardResult {
    const error = this.#lastError ?? new WeftError("upstream_reset", "retries exhausted");
    const flags: ResponseFlag[] = [flagOf(error)];
    if (this.#retried) flags.push("URX");
    return { ok: false, error, flags, attempts: this.#maxAttempts };
  }
}

function flagOf(error: WeftError): ResponseFlag {
  switch (error.code) {
    case "upstream_connect_failure":
    case "upstream_connect_timeout":
      return "UF";
    case "upstream_timeout":
    case "upstream_per_try_timeout":
      return "UT";
    case "upstream_refused_stream":
      return "UR";
    case "upstream_protocol":
      return "UPE";
    case "upstream_overflow":
      return "UO";
    case "downstream_reset":
      return "DC";
    default:
      return "UC";
  }
}

function grpcStatusOf(headers: HeaderMap): number | undefined {
  const v = headers["grpc-status"];
  return typeof v === "string" ? Number(v) : undefined;
}

function sleep(runtime: Runtime, ms: number): Promise<void> {
  return new Promise((resolve) => runtime.clock.setTimeout(resolve, ms));
}

function discard(body: Body | null) {
  if (!body) return;
  const b = body as Body & { destroy?: () => void; resume?: () => void };
  if (typeof b.resume === "function") b.resume();
  else {(async () => {
      for await (const _ of body) { /* drain */ }
    })().catch(() => {});}
}

async function bufferForReplay(
  body: Body,
): Promise<{ replayable: true; bytes: Uint8Array } | { replayable: false; stream: Body }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const it = body[Symbol.asyncIterator]();
  while (true) {
    const next = await it.next();
    if (next.done) break;
    chunks.push(next.value);
    size += next.value.length;
    if (size > RETRY_BUFFER_LIMIT) {
      return {
        replayable: false,
        stream: (async function* () {
          yield* chunks;
          while (true) {
            const n = await it.next();
            if (n.done) return;
            yield n.value;
          }
        })(),
      };
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  return { replayable: true, bytes };
}
