// The router filter's upstream half: pick a host, send the request, apply timeouts and retries with back-off.
import type { Runtime } from "../runtime/types.ts";
import type { UpstreamCluster } from "../cluster/cluster.ts";
import type { Host } from "../cluster/host.ts";
import { isWeftError, WeftError } from "../errors.ts";
import type { Body, DownstreamRequest, HeaderMap, UpstreamRequest, UpstreamResponse } from "./types.ts";
import { AttemptCancel } from "./attempt-cancel.ts";
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

export async function forward(
  runtime: Runtime,
  cluster: UpstreamCluster,
  request: UpstreamRequest,
  options: ForwardOptions,
): Promise<ForwardResult> {
  const { retry, timeoutMs } = options;
  const stats = cluster.stats;
  if (cluster.activeRequests >= cluster.maxRequests) {
    stats.upstream_rq_pending_overflow.value++;
    return {
      ok: false,
      error: new WeftError("upstream_overflow", `cluster ${cluster.name} is at max_requests`),
      flags: ["UO"],
      attempts: 0,
    };
  }
  let maxAttempts = 1 + (retry?.numRetries ?? 0);
  if (maxAttempts > 1 && request.body !== null && !(request.body instanceof Uint8Array)) {
    const buffered = await bufferForReplay(request.body);
    if (buffered.replayable) request.body = buffered.bytes;
    else {
      request.body = buffered.stream;
      maxAttempts = 1;
    }
  }
  const clock = runtime.clock;
  const deadline = timeoutMs > 0 ? clock.now() + timeoutMs : Infinity;
  const tried = retry?.retryHostPredicates.includes(PREVIOUS_HOSTS_PREDICATE) ? new Set<Host>() : undefined;
  let lastError: WeftError | undefined;
  let retried = false;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (attempt > 0) {
      if (cluster.activeRetries >= cluster.maxRetries) {
        stats.upstream_rq_retry_overflow.value++;
        break;
      }
      stats.upstream_rq_retry.value++;
      retried = true;
      const wait = Math.min(backoffMs(retry!, attempt - 1, runtime.random), deadline - clock.now());
      if (wait > 0) await sleep(runtime, wait);
    }
    const remaining = deadline - clock.now();
    if (remaining <= 0) {
      lastError = new WeftError("upstream_timeout", `route timeout of ${timeoutMs} ms elapsed`);
      break;
    }
    const host = cluster.pick({ hash: options.hash, excluded: tried });
    if (!host) {
      stats.upstream_cx_none_healthy.value++;
      return {
        ok: false,
        error: new WeftError("upstream_connect_failure", `no healthy upstream in cluster ${cluster.name}`),
        flags: ["UH"],
        attempts: attempt,
      };
    }
    tried?.add(host);
    const perTry = retry && retry.perTryTimeoutMs > 0
      ? Math.min(retry.perTryTimeoutMs, remaining)
      : remaining;
    const outcome = await attemptOnce(
      runtime,
      cluster,
      host,
      request,
      perTry,
      perTry < remaining,
      attempt > 0,
      options.downstream,
    );
    if (outcome.response) {
      const res = outcome.response;
      const retriable = retry !== undefined &&
        shouldRetry(retry, { status: res.status, grpcStatus: grpcStatusOf(res.headers) });
      // The retry budget (circuit breaker max_retries) is checked before the answer is thrown away.
      if (retriable && attempt + 1 < maxAttempts && cluster.activeRetries < cluster.maxRetries) {
        discard(res.body);
        continue;
      }
      if (retriable && attempt + 1 < maxAttempts) stats.upstream_rq_retry_overflow.value++;
      // A still-retriable answer after retries is "retry limit exceeded" (URX), not a retry success.
      if (retried && retriable) {
        return { ok: true, response: res, host, attempts: attempt + 1, flags: ["URX"] };
      }
      if (retried) stats.upstream_rq_retry_success.value++;
      return { ok: true, response: res, host, attempts: attempt + 1 };
    }
    lastError = outcome.error!;
    if (lastError.code === "upstream_timeout" || lastError.code === "downstream_reset") break;
    if (!retry || !shouldRetry(retry, { errorCode: lastError.code })) break;
  }
  const error = lastError ?? new WeftError("upstream_reset", "retries exhausted");
  const flags: ResponseFlag[] = [flagOf(error)];
  if (retried) flags.push("URX");
  return { ok: false, error, flags, attempts: maxAttempts };
}

async function attemptOnce(
  runtime: Runtime,
  cluster: UpstreamCluster,
  host: Host,
  request: UpstreamRequest,
  timeoutMs: number,
  isPerTry: boolean,
  isRetry: boolean,
  downstream: DownstreamRequest | undefined,
): Promise<{ response?: UpstreamResponse; error?: WeftError }> {
  const stats = cluster.stats;
  stats.upstream_rq_total.value++;
  host.activeRequests++;
  cluster.activeRequests++;
  if (isRetry) cluster.activeRetries++;
  // One cancellation for the attempt: the timeout below, or the downstream going away (then reset upstream too).
  const cancel = new AttemptCancel();
  const unwatch = downstream ? watchDownstream(downstream, cancel) : undefined;
  const timer = timeoutMs !== Infinity
    ? runtime.clock.setTimeout(() => {
      cancel.cancel(
        new WeftError(
          isPerTry ? "upstream_per_try_timeout" : "upstream_timeout",
          `no response within ${Math.round(timeoutMs)} ms`,
        ),
      );
    }, timeoutMs)
    : undefined;
  try {
    request.cancel = cancel;
    const response = await cluster.pool(host).request(request);
    countStatus(cluster, response.status);
    return { response };
  } catch (err) {
    const error = isWeftError(err)
      ? err
      : new WeftError("upstream_reset", String((err as Error)?.message ?? err), { cause: err });
    if (error.code === "upstream_connect_failure") stats.upstream_cx_connect_fail.value++;
    else if (error.code === "upstream_connect_timeout") stats.upstream_cx_connect_timeout.value++;
    else if (error.code === "upstream_per_try_timeout") stats.upstream_rq_per_try_timeout.value++;
    else if (error.code === "upstream_timeout") stats.upstream_rq_timeout.value++;
    else if (error.code !== "downstream_reset") stats.upstream_rq_rx_reset.value++;
    return { error };
  } finally {
    if (timer !== undefined) runtime.clock.clearTimeout(timer);
    unwatch?.();
    host.activeRequests--;
    cluster.activeRequests--;
    if (isRetry) cluster.activeRetries--;
  }
}

function countStatus(cluster: UpstreamCluster, status: number) {
  const s = cluster.stats;
  if (status < 300) s.upstream_rq_2xx.value++;
  else if (status < 400) s.upstream_rq_3xx.value++;
  else if (status < 500) s.upstream_rq_4xx.value++;
  else s.upstream_rq_5xx.value++;
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

/** Resets the attempt when the downstream goes away: the adapter's native hook if it has one, else its signal. */
function watchDownstream(downstream: DownstreamRequest, cancel: AttemptCancel): () => void {
  const reset = () => cancel.cancel(new WeftError("downstream_reset", "downstream disconnected"));
  if (downstream.onClose) return downstream.onClose(reset);
  const signal = downstream.signal;
  if (signal.aborted) {
    reset();
    return () => {};
  }
  signal.addEventListener("abort", reset, { once: true });
  return () => signal.removeEventListener("abort", reset);
}
