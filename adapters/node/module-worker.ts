// Starts a worker thread on an ES module, bundled (.mjs) or a TypeScript source (.ts, through tsx) alike.
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * A worker running `entry`. A `.ts` entry (Weft running from its sources) is loaded through tsx, registered in
 * the worker first: Node 20 does not pass a parent's module hooks (`--import tsx`, tsx's `register()`) on to
 * its workers.
 */
export function startModuleWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const source = `import { register } from ${JSON.stringify(tsx)};\nregister();\n` +
    `await import(${JSON.stringify(entry.href)});\n`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), options);
}
