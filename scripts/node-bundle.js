// The esbuild settings of Weft's Node bundle (scripts/build.js), shared with benchmarks that bundle a harness the same way.
//
// npm dependencies are bundled too, and whitespace and comments left out (names are kept, for stack traces): a
// process holds every loaded module's source text in its heap, and ~150 small ESM modules of @bufbuild/protobuf,
// Connect, Hono and yaml cost a sidecar ~2 MB of RSS more than the same code bundled.

/** Options for `esbuild.build`: add entryPoints and outdir (or outfile). */
export const NODE_BUNDLE_OPTIONS = {
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  logLevel: "warning",
  // Bundled CommonJS packages (yaml) require Node's built-in modules: give them a `require`.
  banner: {
    js: "import { createRequire as __weftCreateRequire } from 'node:module';\n" +
      "const require = __weftCreateRequire(import.meta.url);",
  },
};
