// Starts a worker thread on an ES module, bundled (.mjs) or a TypeScript source (.ts, through tsx) alike.
import { fileURLToPath } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * A worker running `entry`. A `.ts` entry (Weft running from its sources) is loaded through tsx, registered in
 * the worker first: Node 20 does not pass a parent's module hooks (`--import tsx`, tsx's `register()`) on to
 * its workers. Either way the entry sees `process.argv` as `[node, entry, ...options.argv]`, as in a process.
 */
export function startModuleWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, options);
  const tsx = import.meta.resolve("tsx/esm/api");
  // A data: URL worker's argv has no script path: put the entry's in, where parseArgs expects one.
  const source = `process.argv.splice(1, 0, ${JSON.stringify(fileURLToPath(entry))});\n` +
    `import(${JSON.stringify(tsx)}).then(({ register }) => {\n` +
    `  register();\n  return import(${JSON.stringify(entry.href)});\n});\n`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), options);
}
