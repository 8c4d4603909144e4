// Weft's public, runtime-free API: create a proxy from an Envoy bootstrap on a runtime adapter you pass in.
export { createProxy, type Proxy, type ProxyOptions } from "./proxy/proxy.ts";
export { loadBootstrap } from "./proxy/config/load-bootstrap.ts";
export { createConfigRegistry } from "./proxy/config/registry.ts";
export { type ErrorCode, WeftError } from "./proxy/errors.ts";
export type * from "./proxy/runtime/types.ts";
export type * from "./proxy/http/types.ts";
