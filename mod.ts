// Weft's public, runtime-free API: create a proxy from an Envoy bootstrap on a runtime adapter you pass in.
// Adapters are separate entry points: "@weft/weft/node" (createNodeRuntime) and "@weft/weft/deno" (createDenoRuntime).
export { createProxy, type Proxy, type ProxyOptions } from "./proxy/proxy.ts";
export { loadBootstrap } from "./proxy/config/load-bootstrap.ts";
export { createConfigRegistry } from "./proxy/config/registry.ts";
export type { Bootstrap } from "./gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
export type { Counter, StatsStore } from "./proxy/stats/stats-store.ts";
export { type ErrorCode, isWeftError, WeftError } from "./proxy/errors.ts";
export type * from "./proxy/runtime/types.ts";
export type * from "./proxy/http/types.ts";
