// The Workers runtime adapter: no inbound sockets, fetch() upstreams, connect() for TCP, waitUntil for flushes.
import type { Runtime, RuntimeCapabilities } from "../../proxy/runtime/types.ts";
import { WeftError } from "../../proxy/errors.ts";
import { createFetchPool, type FetchFunction, fetchPoolRefusal } from "./upstream-fetch.ts";
import { connectTcp, type SocketConnect } from "./tcp-connect.ts";

/** What the Workers adapter can do; docs/runtimes.md has the whole table. */
export const WORKERS_CAPABILITIES: RuntimeCapabilities = {
  name: "workers",
  inboundTcp: false,
  downstreamMtls: false,
  upstreamHttp2: false,
};

/** The part of a Worker's ExecutionContext the adapter uses. */
export interface WaitUntilContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** Worker vars the runtime reads: WEFT_LOG = "off" silences access-log and diagnostic lines. */
export interface WorkersRuntimeEnv {
  readonly WEFT_LOG?: string;
}

export interface WorkersRuntimeOptions {
  /** Where each line goes (default console.log); ignored when `logSink` is given. */
  readonly log?: (line: string) => void;
  /** Receives the lines buffered during a request, from `flush()` (run it in ctx.waitUntil after the response). */
  readonly logSink?: (lines: readonly string[]) => Promise<void>;
  readonly fetch?: FetchFunction;
  readonly connect?: SocketConnect;
  readonly random?: () => number;
}

export interface WorkersRuntime extends Runtime {
  /** Binds the ExecutionContext of the request being served: the runtime lives per isolate, requests come and go. */
  useContext(ctx: WaitUntilContext | undefined): void;
  /** Keeps the isolate alive for background work (config refresh, log flush) past the response. */
  waitUntil(promise: Promise<unknown>): void;
  /** Hands the buffered lines to the log sink (no-op without one). */
  flush(): Promise<void>;
}

export function createWorkersRuntime(
  env: WorkersRuntimeEnv = {},
  ctx?: WaitUntilContext,
  options: WorkersRuntimeOptions = {},
): WorkersRuntime {
  let current = ctx;
  const fetchImpl: FetchFunction = options.fetch ?? ((input, init) => fetch(input, init));
  const buffer: string[] = [];
  const silent = env.WEFT_LOG === "off";
  const direct = options.log ?? ((line: string) => console.log(line));
  const clock = {
    now: () => performance.now(),
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as number),
  };
  const sink = options.logSink;
  return {
    clock,
    random: options.random ?? Math.random,
    log(line) {
      if (silent) return;
      if (sink) buffer.push(line);
      else direct(line);
    },
    capabilities: WORKERS_CAPABILITIES,
    net: {
      listen: () =>
        Promise.reject(
          new WeftError(
            "unsupported",
            "the workers runtime accepts no inbound TCP connections; see docs/runtimes.md",
          ),
        ),
      connect: (opts) => connectTcp(opts, clock, options.connect),
      startTls: () =>
        Promise.reject(
          new WeftError("unsupported", "the workers runtime cannot terminate TLS on a connection"),
        ),
    },
    http: {},
    upstream: {
      createPool: (opts) => createFetchPool(opts, fetchImpl),
      refuse: fetchPoolRefusal,
    },
    // fetch() and connect() resolve host names themselves: a name stands for itself.
    dns: { resolve: (hostname) => Promise.resolve([hostname]) },
    useContext(next) {
      current = next;
    },
    waitUntil(promise) {
      const quiet = promise.catch((err) =>
        direct(`weft: background task failed: ${(err as Error)?.message ?? err}`)
      );
      if (current) current.waitUntil(quiet);
    },
    async flush() {
      if (!sink || buffer.length === 0) return;
      await sink(buffer.splice(0));
    },
  };
}
