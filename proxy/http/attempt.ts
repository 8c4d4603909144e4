// One upstream attempt: counters, the per-try / route timer, the downstream watch, and the error → stats mapping.
import type { Runtime, TimerHandle } from "../runtime/types.ts";
import type { UpstreamCluster } from "../cluster/cluster.ts";
import type { Host } from "../cluster/host.ts";
import { isWeftError, WeftError } from "../errors.ts";
import type { DownstreamRequest, UpstreamRequest, UpstreamResponse } from "./types.ts";
import { AttemptCancel } from "./attempt-cancel.ts";
import { type DeadlineEntry, deadlinesOf } from "./deadlines.ts";

/**
 * An attempt in flight; once settled it carries either `response` or `error`. It is its own cancellation
 * (timeout, or the downstream going away, which also resets the upstream exchange) and its own promise
 * callbacks, so an attempt costs one object rather than an async frame and a handful of closures.
 */
export class Attempt extends AttemptCancel implements DeadlineEntry {
  response: UpstreamResponse | undefined;
  error: WeftError | undefined;
  // DeadlineEntry (first attempts: their timeouts are the route's, shared by many requests).
  deadline = 0;
  prevEntry: DeadlineEntry | undefined = undefined;
  nextEntry: DeadlineEntry | undefined = undefined;
  queue: DeadlineEntry["queue"] = undefined;
  #runtime: Runtime;
  #cluster: UpstreamCluster;
  #host: Host;
  #isRetry: boolean;
  #isPerTry: boolean;
  #timeoutMs: number;
  #startedAt: number;
  /** A retry's own timer: its timeout is what is left of the route's, a value no other request shares. */
  #timer: TimerHandle | undefined;
  #unwatch: (() => void) | undefined;
  #then: (attempt: Attempt) => unknown = settled;

  /** `now` is the clock's time when the timeout starts. */
  constructor(
    runtime: Runtime,
    cluster: UpstreamCluster,
    host: Host,
    timeoutMs: number,
    isPerTry: boolean,
    isRetry: boolean,
    now: number,
  ) {
    super();
    this.#runtime = runtime;
    this.#cluster = cluster;
    this.#host = host;
    this.#timeoutMs = timeoutMs;
    this.#isPerTry = isPerTry;
    this.#isRetry = isRetry;
    this.#startedAt = now;
  }

  /**
   * Sends `request` to the attempt's host; once it has an outcome, resolves with `then(this)` (never rejects
   * because of the attempt itself). The continuation is called here rather than chained, saving a promise hop.
   */
  run<T>(
    request: UpstreamRequest,
    downstream: DownstreamRequest | undefined,
    then: (attempt: Attempt) => T | Promise<T>,
  ): Promise<T> {
    this.#then = then;
    const cluster = this.#cluster;
    cluster.stats.upstream_rq_total.value++;
    this.#host.activeRequests++;
    cluster.activeRequests++;
    if (this.#isRetry) cluster.activeRetries++;
    if (downstream) this.#unwatch = watchDownstream(downstream, this.#onDownstreamGone);
    const timeoutMs = this.#timeoutMs;
    if (timeoutMs !== Infinity) {
      const clock = this.#runtime.clock;
      if (this.#isRetry) this.#timer = clock.setTimeout(() => this.expire(), timeoutMs);
      else deadlinesOf(clock).add(this, timeoutMs, this.#startedAt);
    }
    request.cancel = this;
    let pending: Promise<UpstreamResponse>;
    try {
      pending = cluster.pool(this.#host).request(request);
    } catch (err) {
      pending = Promise.reject(err);
    }
    return pending.then(this.#onResponse, this.#onError) as Promise<T>;
  }

  /** The timeout passed without an outcome. */
  expire(): void {
    this.cancel(
      new WeftError(
        this.#isPerTry ? "upstream_per_try_timeout" : "upstream_timeout",
        `no response within ${Math.round(this.#timeoutMs)} ms`,
      ),
    );
  }

  #onDownstreamGone = () => this.cancel(new WeftError("downstream_reset", "downstream disconnected"));

  #onResponse = (response: UpstreamResponse): unknown => {
    const s = this.#cluster.stats;
    const status = response.status;
    if (status < 300) s.upstream_rq_2xx.value++;
    else if (status < 400) s.upstream_rq_3xx.value++;
    else if (status < 500) s.upstream_rq_4xx.value++;
    else s.upstream_rq_5xx.value++;
    this.response = response;
    this.#settle();
    return this.#then(this);
  };

  #onError = (err: unknown): unknown => {
    const error = isWeftError(err)
      ? err
      : new WeftError("upstream_reset", String((err as Error)?.message ?? err), { cause: err });
    const stats = this.#cluster.stats;
    if (error.code === "upstream_connect_failure") stats.upstream_cx_connect_fail.value++;
    else if (error.code === "upstream_connect_timeout") stats.upstream_cx_connect_timeout.value++;
    else if (error.code === "upstream_per_try_timeout") stats.upstream_rq_per_try_timeout.value++;
    else if (error.code === "upstream_timeout") stats.upstream_rq_timeout.value++;
    else if (error.code !== "downstream_reset") stats.upstream_rq_rx_reset.value++;
    this.error = error;
    this.#settle();
    return this.#then(this);
  };

  #settle() {
    if (this.queue) this.queue.remove(this);
    else if (this.#timer !== undefined) this.#runtime.clock.clearTimeout(this.#timer);
    this.#unwatch?.();
    const cluster = this.#cluster;
    this.#host.activeRequests--;
    cluster.activeRequests--;
    if (this.#isRetry) cluster.activeRetries--;
  }
}

/** Calls `reset` when the downstream goes away: the adapter's native hook if it has one, else its signal. */
function watchDownstream(downstream: DownstreamRequest, reset: () => void): () => void {
  if (downstream.onClose) return downstream.onClose(reset);
  const signal = downstream.signal;
  if (signal.aborted) {
    reset();
    return () => {};
  }
  signal.addEventListener("abort", reset, { once: true });
  return () => signal.removeEventListener("abort", reset);
}

function settled(attempt: Attempt): Attempt {
  return attempt;
}
