// The Workers adapter's public API: the runtime, the edge worker and its config sources.
export { createWorkersRuntime, WORKERS_CAPABILITIES } from "./runtime.ts";
export type {
  WaitUntilContext,
  WorkersRuntime,
  WorkersRuntimeEnv,
  WorkersRuntimeOptions,
} from "./runtime.ts";
export { createEdgeWorker, serveRequest } from "./edge-worker.ts";
export type { EdgeState, EdgeWorker, EdgeWorkerOptions, FromEnv } from "./edge-worker.ts";
export { connectConfigSource, kvConfigStore } from "./edge-config-source.ts";
export type { EdgeConfigSource, EdgeConfigStore, KvLike } from "./edge-config-source.ts";
export { toDownstreamRequest, toResponse } from "./request-conversion.ts";
export { loadJsonBootstrap } from "./json-bootstrap.ts";
