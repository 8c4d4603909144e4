// Runs the control plane in a worker thread with a young generation sized for pushes (`weft control`).
import { pathToFileURL } from "node:url";
import type { ResourceLimits, Worker } from "node:worker_threads";
import { WeftError } from "../../proxy/errors.ts";
import { startModuleWorker } from "./module-worker.ts";
import { packagePath } from "./package-root.ts";
import type { StartControlOptions } from "./start-control.ts";

/**
 * The control plane's heap. A push to hundreds of proxies keeps a few MB per batch of proxies in flight (responses
 * in HTTP/2 write queues, stream state); a young-generation GC in the middle of a push copies it, and what is
 * still live at the next is promoted, to be collected by a full GC later. With 48 MB semi-spaces (a young
 * generation of 144 MB: two semi-spaces and as much again for large objects) an endpoint change to 500 proxies
 * (~22 MB allocated) fits between two of the idle-time scavenges idle-collector.ts runs, so none runs during the
 * push: the per-change p50 fell by ~20 ms and the old generation grew by 1.7 MB per change, not 2.5
 * (bench/README.md, "Idle-time collections"; V8's default is 16 MB, and 32 MB until then). The main thread's young
 * generation is fixed when Node starts, a worker's when it is created: hence the worker. A V8 flag given to node
 * (`--max-semi-space-size`) wins over it.
 */
export const CONTROL_RESOURCE_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 144 };

/** How long `close` waits for the worker to close its servers and exit before it stops the thread. */
const CLOSE_GRACE_MS = 5_000;

/** What the worker (control-worker.ts) reports. */
export type ControlThreadReport =
  | { readonly kind: "ready"; readonly xdsPort: number; readonly monitoringPort: number }
  /** `expected`: a WeftError (bad flag, port in use), shown as its message; anything else is a bug (stack). */
  | { readonly kind: "failed"; readonly message: string; readonly stack: string; readonly expected: boolean };

/** What the launcher asks of the worker. */
export type ControlThreadRequest = { readonly kind: "stop" };

/** The control plane failed in a way that is a bug, not bad input; `printed` when the error is on stderr already. */
export class ControlThreadFailed extends Error {
  constructor(message: string, readonly printed: boolean) {
    super(message);
  }
}

export interface ControlThread {
  readonly xdsPort: number;
  readonly monitoringPort: number;
  /** The limits the worker was created with (V8 flags given to node override them). */
  readonly resourceLimits: ResourceLimits;
  /** Resolves with the exit code when the worker ends (on its own only after a crash, which is printed). */
  readonly exited: Promise<number>;
  /** Stops the control plane: 0 when it closed and exited in time, else the code it ended with (1 if stopped). */
  close(): Promise<number>;
}

/** The worker's main module: the bundle's entry when Weft runs from dist/, else the TypeScript source. */
function workerEntry(): URL {
  return import.meta.url.endsWith(".ts")
    ? new URL("./control-worker.ts", import.meta.url)
    : pathToFileURL(packagePath("dist/control-worker.mjs"));
}

/**
 * Starts the control plane in its worker; resolves once it serves. The worker logs (to stdout) as the control
 * plane would in-process. Rejects with a WeftError for bad input, ControlThreadFailed otherwise.
 */
export function startControlThread(
  options: Omit<StartControlOptions, "log">,
  /** The worker's main module (tests give a stand-in that speaks the same messages). */
  entry: URL = workerEntry(),
): Promise<ControlThread> {
  const worker: Worker = startModuleWorker(entry, {
    workerData: options,
    resourceLimits: CONTROL_RESOURCE_LIMITS,
  });
  const exited = new Promise<number>((resolve) => worker.once("exit", resolve));
  // An exception the worker did not catch ends it (`exited`); this says why.
  let printed = false;
  worker.on("error", (err) => {
    printed = true;
    console.error(`weft control: the control plane failed: ${err.stack ?? err}`);
  });
  const first = new Promise<ControlThreadReport>((resolve, reject) => {
    worker.once("message", resolve);
    void exited.then((code) => reject(new ControlThreadFailed(`its worker exited (code ${code})`, printed)));
  });
  return first.then(
    (report) => {
      if (report.kind === "failed") {
        void worker.terminate();
        throw report.expected
          ? new WeftError("config", report.message)
          : new ControlThreadFailed(report.stack, false);
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
          const late = new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), CLOSE_GRACE_MS);
          });
          const code = await Promise.race([exited, late]);
          clearTimeout(timer);
          if (code !== undefined) return code;
          console.error(
            `weft control: the control plane did not stop within ${CLOSE_GRACE_MS / 1000} s; stopped it`,
          );
          await worker.terminate();
          return 1;
        },
      };
    },
    async (err) => {
      await worker.terminate();
      throw err;
    },
  );
}
