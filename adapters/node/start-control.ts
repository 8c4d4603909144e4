// Starts the control plane on Node: watched config directory, xDS/registration server, monitoring server.
import { serve, type ServerType } from "@hono/node-server";
import { type ControlPlane, createControlPlane } from "../../control/control-plane.ts";
import { createMonitoringApp } from "../../control/monitoring/monitoring-app.ts";
import { WeftError } from "../../proxy/errors.ts";
import { createNodeFileSystem } from "./node-file-system.ts";
import { startControlServer } from "./control-server.ts";
import { nodeClock } from "./runtime.ts";
import { useNodeTextEncoding } from "./protobuf-text-encoding.ts";
import { startIdleCollector } from "./idle-collector.ts";

export interface StartControlOptions {
  readonly configDir: string;
  readonly host?: string;
  readonly xdsPort?: number;
  readonly monitoringPort?: number;
  readonly log?: (line: string) => void;
  /** Debounce quiet period (default 100 ms). */
  readonly quietMs?: number;
  /** Longest a debounced push waits after the first change of a burst (default 10 s). */
  readonly maxDelayMs?: number;
  /**
   * Run GCs while the event loop is idle (`idle-collector.ts`). For a control plane with a thread of its own
   * (`weft control`'s worker): a full collection blocks everything else on the thread, ~150 ms per 100 MB live.
   */
  readonly collectWhenIdle?: boolean;
}

export interface RunningControl {
  readonly controlPlane: ControlPlane;
  readonly xdsPort: number;
  readonly monitoringPort: number;
  close(): Promise<void>;
}

export async function startNodeControlPlane(options: StartControlOptions): Promise<RunningControl> {
  const log = options.log ?? ((line: string) => console.log(line));
  const host = options.host ?? "127.0.0.1";
  useNodeTextEncoding();
  const cp = createControlPlane({
    clock: nodeClock,
    now: () => Date.now(),
    fs: createNodeFileSystem(),
    configDir: options.configDir,
    log,
    quietMs: options.quietMs,
    maxDelayMs: options.maxDelayMs,
  });
  let ready = false;
  const app = createMonitoringApp(cp, () => ready);
  let monitoring: ServerType | undefined;
  const monitoringPort = await new Promise<number>((resolve, reject) => {
    monitoring = serve(
      { fetch: app.fetch, hostname: host, port: options.monitoringPort ?? 15014 },
      (info) => resolve(info.port),
    );
    monitoring.once(
      "error",
      (err) => reject(new WeftError("config", `--monitoring-port: cannot listen: ${err.message}`)),
    );
  });
  // Load the config before proxies can connect: a proxy (re)connecting to a restarted control plane must never be
  // sent the snapshot of a not-yet-loaded, empty config — it would drop every listener and cluster it runs.
  await cp.start();
  // Compiled and memoized before the first proxies wait for it (control/warm-up.ts).
  const warmStarted = performance.now();
  const warmed = cp.warmUp();
  if (warmed !== undefined) {
    log(`translation warmed up: ${warmed} resources in ${(performance.now() - warmStarted).toFixed(0)} ms`);
  }
  const xds = await startControlServer({ host, port: options.xdsPort ?? 15010, routes: (r) => cp.routes(r) })
    .catch(async (err) => {
      cp.close();
      await new Promise<void>((r) => monitoring ? monitoring.close(() => r()) : r());
      throw new WeftError(
        "config",
        `--xds-port: cannot listen on ${host}:${options.xdsPort ?? 15010}: ${(err as Error).message}`,
      );
    });
  ready = true;
  const collector = options.collectWhenIdle ? startIdleCollector(() => cp.busy(), log) : undefined;
  return {
    controlPlane: cp,
    xdsPort: xds.port,
    monitoringPort,
    async close() {
      collector?.stop();
      cp.close();
      await xds.close();
      await new Promise<void>((r) => monitoring ? monitoring.close(() => r()) : r());
    },
  };
}
