// Runs the control plane in a worker thread with a young generation sized for pushes (`weft control`).
import { pathToFileURL } from "node:url";
import type { ResourceLimits, Worker } from "node:worker_threads";
import { WeftError } from "../../proxy/errors.ts";
import { startModuleWorker } from "./module-worker.ts";
import { packagePath } from "./package-root.ts";
import type { StartControlOptions } from "./start-control.ts";

/**
 * The control plane's heap. A push to hundreds of proxies keeps a few MB per proxy batch in flight (responses in
 * HTTP/2 write queues, stream state) across young-generation GCs; in V8's default 16 MB semi-spaces each endpoint
 * change ran 2–3 scavenges of 10–25 ms, and what they copied was promoted and collected again later. 32 MB
 * semi-spaces (a young generation of 96 MB: two semi-spaces and as much again for large objects) halved the
 * scavenges and lowered the peak RSS of a 500-proxy benchmark by ~70 MB (bench/README.md). The size of the main
 * thread's young generation is fixed when Node starts, a worker's when it is created: hence the worker.
 */
export const CONTROL_RESOURCE_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 96 };

/** How long `close` waits for the worker to close its servers and exit before it stops the thread. */
const CLOSE_GRACE_MS = 5_000;

/** What the worker (control-worker.ts) reports. */
export type ControlThreadReport =
  | { readonly kind: "ready"; readonly xdsPort: number; readonly monitoringPort: number }
  /** `expected`: a WeftError (bad flag, port in use), printed as is; anything else is a bug. */
  | { readonly kind: "failed"; readonly message: string; readonly expected: boolean };

/** What the launcher asks of the worker. */
export type ControlThreadRequest = { readonly kind: "stop" };

export interface ControlThread {
  readonly xdsPort: number;
  readonly monitoringPort: number;
  /** The worker's heap limits as V8 applied them (megabytes). */
  readonly resourceLimits: ResourceLimits;
  /** Resolves with the exit code when the worker ends (on its own only after a crash, which is printed). */
  readonly exited: Promise<number>;
  close(): Promise<void>;
}

/** The worker's main module: the bundle's entry when Weft runs from dist/, else the TypeScript source. */
function workerEntry(): URL {
  return import.meta.url.endsWith(".ts")
    ? new URL("./control-worker.ts", import.meta.url)
    : pathToFileURL(packagePath("dist/control-worker.mjs"));
}

/** Starts the control plane in its worker; resolves once it serves (log lines go to stdout as they would). */
export function startControlThread(options: Omit<StartControlOptions, "log">): Promise<ControlThread> {
  const worker: Worker = startModuleWorker(workerEntry(), {
    workerData: options,
    resourceLimits: CONTROL_RESOURCE_LIMITS,
  });
  const exited = new Promise<number>((resolve) => worker.once("exit", resolve));
  // An exception the worker did not catch ends it (`exited`); this says why.
  worker.on("error", (err) => console.error(`weft control: the control plane failed: ${err.stack ?? err}`));
  const first = new Promise<ControlThreadReport>((resolve, reject) => {
    worker.once("message", resolve);
    void exited.then((code) => reject(new Error(`the control plane's worker exited (code ${code})`)));
  });
  return first.then(
    (report) => {
      if (report.kind === "failed") {
        void worker.terminate();
        throw report.expected ? new WeftError("config", report.message) : new Error(report.message);
      }
      return {
        xdsPort: report.xdsPort,
        monitoringPort: report.monitoringPort,
        resourceLimits: worker.resourceLimits ?? {},
        exited,
        async close() {
          worker.postMessage({ kind: "stop" } satisfies ControlThreadRequest);
          // The worker closes its servers and exits; one that does not within the grace time is stopped.
          let timer: ReturnType<typeof setTimeout> | undefined;
          const late = new Promise((resolve) => timer = setTimeout(resolve, CLOSE_GRACE_MS));
          await Promise.race([exited, late]);
          clearTimeout(timer);
          await worker.terminate();
        },
      };
    },
    async (err) => {
      await worker.terminate();
      throw err;
    },
  );
}
