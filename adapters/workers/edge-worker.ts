// createEdgeWorker: the proxy core inside a Worker's fetch handler, with static or control-plane config.
import { create } from "@bufbuild/protobuf";
import { type Bootstrap, BootstrapSchema } from "../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import { createProxy, type Proxy } from "../../proxy/proxy.ts";
import { applyEdgeResources } from "./edge-apply.ts";
import { createEdgeConfigLoader, type EdgeConfigLoader } from "./edge-config-loader.ts";
import type { EdgeConfigSource, EdgeConfigStore } from "./edge-config-source.ts";
import { toDownstreamRequest, toResponse } from "./request-conversion.ts";
import {
  createWorkersRuntime,
  type WaitUntilContext,
  type WorkersRuntime,
  type WorkersRuntimeEnv,
  type WorkersRuntimeOptions,
} from "./runtime.ts";

/** A value, or how to read it from the Worker's env (vars and bindings). */
export type FromEnv<Env, T> = T | ((env: Env) => T);

export interface EdgeWorkerOptions<Env> {
  /** Static config (listeners, clusters): routes without a control plane, or alongside it. */
  readonly bootstrap?: FromEnv<Env, Bootstrap | undefined>;
  /** Pulls listeners, routes, clusters and endpoints from the control plane (its node becomes the proxy's). */
  readonly configSource?: (env: Env) => EdgeConfigSource | undefined;
  /** Keeps the last good pulled config beyond this isolate (e.g. `kvConfigStore(env.WEFT_CONFIG_KV, id)`). */
  readonly configStore?: (env: Env, source: EdgeConfigSource) => EdgeConfigStore | undefined;
  /** Seconds between config refreshes, each started by a request (default 10). */
  readonly refreshSeconds?: FromEnv<Env, number | undefined>;
  /** The listener that serves requests, by name (default: the first HTTP listener). */
  readonly listener?: FromEnv<Env, string | undefined>;
  /** Envoy-style access-log lines (console.log, or the runtime's log sink). */
  readonly accessLog?: FromEnv<Env, boolean>;
  /** Runtime wiring (log sink, fetch/connect for tests). */
  readonly runtime?: WorkersRuntimeOptions;
}

export interface EdgeWorker<Env> {
  fetch(request: Request, env: Env, ctx: WaitUntilContext): Promise<Response>;
  /** This isolate's proxy and config loader, once the first request started them (tests, diagnostics). */
  readonly state: Promise<EdgeState> | undefined;
}

export interface EdgeState {
  readonly proxy: Proxy;
  readonly runtime: WorkersRuntime;
  readonly loader?: EdgeConfigLoader;
  readonly listener?: string;
}

function read<Env, T>(value: FromEnv<Env, T> | undefined, env: Env): T | undefined {
  return typeof value === "function" ? (value as (env: Env) => T)(env) : value;
}

function textReply(status: number, message: string): Response {
  return new Response(message + "\n", { status, headers: { "content-type": "text/plain" } });
}

/**
 * One request through a proxy's HTTP listener (named, else the first): Request → core → Response, then the
 * runtime's buffered log lines flushed in ctx.waitUntil. Without a listener: 503 saying why (`missing`).
 * A WebSocket upgrade is answered 501: a Worker cannot hand the core a raw downstream connection.
 */
export async function serveRequest(
  proxy: Proxy,
  runtime: WorkersRuntime,
  request: Request,
  ctx: WaitUntilContext,
  listener?: string,
  missing?: string,
): Promise<Response> {
  runtime.useContext(ctx);
  if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
    return textReply(501, "WebSocket upgrade is not supported on the workers runtime (see docs/runtimes.md)");
  }
  const handler = proxy.httpHandler(listener);
  if (!handler) {
    const why = missing ?? "no HTTP listener";
    return textReply(503, `weft edge: ${why}${listener ? ` (listener ${listener})` : ""}`);
  }
  try {
    const res = await handler(toDownstreamRequest(request));
    return toResponse(res, request.method);
  } catch (err) {
    runtime.log(`weft edge: request failed: ${(err as Error).message}`);
    return textReply(500, "weft edge: internal error");
  } finally {
    ctx.waitUntil(runtime.flush());
  }
}

export function createEdgeWorker<Env extends WorkersRuntimeEnv = WorkersRuntimeEnv>(
  options: EdgeWorkerOptions<Env>,
): EdgeWorker<Env> {
  let state: Promise<EdgeState> | undefined;

  async function start(env: Env, ctx: WaitUntilContext): Promise<EdgeState> {
    const runtime = createWorkersRuntime(env, ctx, options.runtime);
    const source = options.configSource?.(env);
    const bootstrap = read(options.bootstrap, env) ??
      (source && create(BootstrapSchema, { node: source.node }));
    if (!bootstrap) {
      throw new Error("the edge worker has neither a bootstrap nor a control plane to pull from");
    }
    const proxy = await createProxy({ runtime, bootstrap, accessLog: read(options.accessLog, env) ?? false });
    const loader = source &&
      createEdgeConfigLoader({
        source,
        store: options.configStore?.(env, source),
        refreshMs: (read(options.refreshSeconds, env) ?? 10) * 1000,
        apply: (config) => applyEdgeResources(proxy.xdsHandlers, config.resources, config.version),
        now: () => Date.now(),
        log: (line) => runtime.log(line),
      });
    return { proxy, runtime, loader, listener: read(options.listener, env) };
  }

  async function serve(request: Request, env: Env, ctx: WaitUntilContext): Promise<Response> {
    const current = state ??= start(env, ctx);
    let edge: EdgeState;
    try {
      edge = await current;
    } catch (err) {
      if (state === current) state = undefined;
      console.log(`weft edge: cannot start the proxy: ${(err as Error).message}`);
      return textReply(500, `weft edge: cannot start the proxy: ${(err as Error).message}`);
    }
    const { loader } = edge;
    edge.runtime.useContext(ctx);
    const { refresh } = (await loader?.beforeRequest()) ?? {};
    if (refresh) ctx.waitUntil(refresh);
    const missing = loader && loader.version === "" ? "no config from the control plane yet" : undefined;
    return serveRequest(edge.proxy, edge.runtime, request, ctx, edge.listener, missing);
  }

  return {
    fetch: serve,
    get state() {
      return state;
    },
  };
}
