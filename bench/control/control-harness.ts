// The control plane under test, in the worker thread control-process.ts starts: timing events on stdout ("@@ {json}").
import { EventEmitter } from "node:events";
import { parseArgs } from "node:util";
import { writeHeapSnapshot } from "node:v8";
import { parentPort } from "node:worker_threads";
import { startNodeControlPlane } from "../../adapters/node/start-control.ts";
import { installProfileToggle } from "./profile-toggle.ts";

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across the benchmark's processes. */
const wall = () => performance.timeOrigin + performance.now();

const memoryMb = () => {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1e5) / 10;
  return {
    rss: mb(m.rss),
    heapUsed: mb(m.heapUsed),
    external: mb(m.external),
    arrayBuffers: mb(m.arrayBuffers),
  };
};

/** Signals the process received, passed on by control-process.ts (a worker gets none of its own). */
const signals = new EventEmitter();
parentPort?.on("message", (message: { signal: string }) => signals.emit(message.signal));

const emit = (event: Record<string, unknown>) => process.stdout.write(`@@ ${JSON.stringify(event)}\n`);

const { values } = parseArgs({
  options: {
    config: { type: "string" },
    "quiet-ms": { type: "string" },
  },
});
if (!values.config) {
  console.error("usage: control-process.ts --config <dir> [--quiet-ms N]");
  process.exit(2);
}

const startedAt = wall();
const running = await startNodeControlPlane({
  configDir: values.config,
  xdsPort: 0,
  monitoringPort: 0,
  quietMs: values["quiet-ms"] === undefined ? undefined : Number(values["quiet-ms"]),
  // As `weft control`'s worker (control-worker.ts); BENCH_CONTROL_NO_IDLE_GC=1 measures without.
  collectWhenIdle: !process.env.BENCH_CONTROL_NO_IDLE_GC,
  log: (line) => {
    if (!line.startsWith("config version")) console.log(line);
  },
});
const cp = running.controlPlane;

// Where the time of an endpoint change goes: config accepted (reload + parse + validate), then the debounced push.
cp.store.onChange((snapshot) => emit({ ev: "config", at: wall(), version: snapshot.version }));
const pushCompleted = cp.status.pushCompleted.bind(cp.status);
(cp.status as { pushCompleted: typeof pushCompleted }).pushCompleted = (record) => {
  pushCompleted(record);
  emit({
    ev: "push",
    at: wall(),
    // Clock (performance.now) milliseconds: first change event → last proxy's snapshot published.
    tookMs: record.finishedAt - record.startedAt,
    proxies: record.proxies,
    reasons: record.reasons.length,
    memory: memoryMb(),
  });
};

emit({
  ev: "ready",
  xdsPort: running.xdsPort,
  monitoringPort: running.monitoringPort,
  startupMs: wall() - startedAt,
  objects: cp.store.all().length,
  services: cp.pushContext().services.length,
});

// BENCH_CONTROL_PROFILE=<file> (with BENCH_CONTROL_PROFILE_PROC=control, the default): see profile-toggle.ts.
const profileFile = process.env.BENCH_CONTROL_PROFILE;
if (profileFile && (process.env.BENCH_CONTROL_PROFILE_PROC ?? "control") === "control") {
  installProfileToggle(profileFile, {
    survivors: Boolean(process.env.BENCH_CONTROL_PROFILE_SURVIVORS),
    signals,
  });
}

// The runner's "how much is live?": a full GC (node --expose-gc), then the numbers.
signals.on("SIGUSR2", () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  // ArrayBuffers' memory is given back by a sweeper after the collection: read it once that has run.
  setTimeout(() => {
    gc?.();
    const memory = memoryMb();
    // BENCH_CONTROL_HEAPSNAPSHOT=<file>: what that live heap is, for a heap-snapshot viewer.
    const snapshotFile = process.env.BENCH_CONTROL_HEAPSNAPSHOT;
    if (snapshotFile) writeHeapSnapshot(snapshotFile);
    emit({ ev: "memory", memory });
  }, 100);
});

const stop = async () => {
  await running.close();
  process.exit(0);
};
signals.once("SIGTERM", () => void stop());
signals.once("SIGINT", () => void stop());
