// The control plane under test: control-harness.ts in a worker thread sized the way `weft control` sizes its own.
import { isMainThread } from "node:worker_threads";
import { CONTROL_RESOURCE_LIMITS } from "../../adapters/node/control-thread.ts";
import { startModuleWorker } from "../../adapters/node/module-worker.ts";

if (!isMainThread) throw new Error("control-process.ts starts a worker; it is not one");

// The harness next to this file: control-harness.ts from the sources, control-harness.mjs in the bundle.
const harness = new URL(
  import.meta.url.endsWith(".ts") ? "./control-harness.ts" : "./control-harness.mjs",
  import.meta.url,
);
const worker = startModuleWorker(harness, {
  argv: process.argv.slice(2),
  resourceLimits: CONTROL_RESOURCE_LIMITS,
});
// Signals reach the process, not its workers: the runner's SIGUSR1 (profile), SIGUSR2 (memory) and stops.
for (const signal of ["SIGUSR1", "SIGUSR2", "SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => worker.postMessage({ signal }));
}
worker.on("error", (err) => {
  console.error(err);
  process.exit(1);
});
worker.on("exit", (code) => process.exit(code));
