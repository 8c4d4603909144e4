// Weft on Deno: the runtime adapter to pass to createProxy (`import { createDenoRuntime } from "@weft/weft/deno"`).
export { createDenoRuntime, DENO_CAPABILITIES, type DenoRuntimeOptions } from "./runtime.ts";
