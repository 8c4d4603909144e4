// Weft on Node: the runtime adapter and the ADS transport to pass to createProxy (`@weft/weft/node`).
export { createNodeRuntime, type NodeRuntimeOptions } from "./runtime.ts";
export { createXdsTransport } from "./xds-transport.ts";
