// The main module of `weft control`'s worker thread: starts the control plane and reports to the launcher.
import { parentPort, workerData } from "node:worker_threads";
import { WeftError } from "../../proxy/errors.ts";
import type { ControlThreadReport, ControlThreadRequest } from "./control-thread.ts";
import { type RunningControl, type StartControlOptions, startNodeControlPlane } from "./start-control.ts";

const port = parentPort;
if (port === null) {
  throw new Error("control-worker.ts is the main module of a worker thread, not of a process");
}
const report = (message: ControlThreadReport) => port.postMessage(message);
const options = workerData as StartControlOptions;

let running: RunningControl | undefined;
try {
  running = await startNodeControlPlane({ ...options, collectWhenIdle: true });
  // Printed here, not by the launcher: after the config load's own log lines, which come through this thread.
  console.log(
    `weft control: xDS on :${running.xdsPort}, monitoring on :${running.monitoringPort}, config ${options.configDir}`,
  );
  report({ kind: "ready", xdsPort: running.xdsPort, monitoringPort: running.monitoringPort });
} catch (err) {
  report({
    kind: "failed",
    message: (err as Error).message ?? String(err),
    stack: (err as Error).stack ?? String(err),
    expected: err instanceof WeftError,
  });
}

port.on("message", async (request: ControlThreadRequest) => {
  if (request.kind !== "stop") return;
  await running?.close(); // a failure here is uncaught: printed by the launcher, exit code 1
  process.exit(0); // ends this thread, with 0 for the launcher to see
});
