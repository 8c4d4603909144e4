// Types of scripts/node-bundle.js, for the benchmarks that import it from TypeScript.
import type { BuildOptions } from "esbuild";

export declare const NODE_BUNDLE_OPTIONS: BuildOptions & { readonly banner: { readonly js: string } };
