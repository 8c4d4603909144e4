// One benchmark phase: fresh config, control plane on core 1, N simulated proxies on core 0, first push, endpoint edits.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuMicros, memoryMb, stealMicros } from "../lib/processes.ts";
import type { ClientCommand, ClientEvent } from "./ads-clients.ts";
import type { SimClientKind } from "./sim-common.ts";
import { endpointSliceFile, endpointSliceYaml, generateConfig } from "./config-gen.ts";
import { changedIp, edsClusterName, type MeshShape } from "./layout.ts";
import { spawnNode } from "./procs.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));

export interface PhaseOptions {
  readonly mode: "sotw" | "delta";
  readonly quietMs: number;
  readonly shape: MeshShape;
  readonly changes: number;
  /** Edits made (and timed) before the measured ones: the first edits after a start run cold code. */
  readonly warmups: number;
  readonly proxiesPerConnection: number;
  readonly client: SimClientKind;
  readonly configDir: string;
  /** The control-plane harness: its bundle (bundleControlHarness), or control-process.ts run through tsx. */
  readonly controlScript: string;
  /** Where `--cpu-prof` writes the control plane's profile; no profiling when undefined. */
  readonly profileDir?: string;
  /** --max-old-space-size for the control plane (Node's default when undefined). */
  readonly heapMb?: number;
  /** Numbers the changed addresses so that no two edits of a run look alike. */
  readonly changeOffset: number;
}

export interface ChangeResult {
  readonly service: number;
  /** File write → last ACK among the proxies that have the cluster. */
  readonly lastAckMs: number;
  readonly medianAckMs: number;
  readonly acked: number;
  readonly expected: number;
  /** File write → config accepted by the store (watch + settle + re-reading and validating the directory). */
  readonly configMs?: number;
  /** Config accepted → the debounced push published every proxy's snapshot. */
  readonly pushMs?: number;
  readonly resourceBytes: number;
  readonly responses: number;
  /** The control plane's CPU and the host's steal time (all CPUs) from the write to the last ACK, ms. */
  readonly controlCpuMs: number;
  readonly stealMs: number;
}

export interface LiveMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface PhaseResult {
  readonly mode: "sotw" | "delta";
  readonly quietMs: number;
  readonly proxies: number;
  readonly connected: number;
  /** Control process start → config loaded and listening. */
  readonly startupMs: number;
  /** The simulator's first connection attempt → all its HTTP/2 connections up (no stream yet). */
  readonly connectMs: number;
  /** All streams opened (on connections already up) → the last proxy holds and has ACKed CDS, EDS, LDS, RDS. */
  readonly firstPushMs: number;
  readonly firstPushPerProxyMs: { readonly p50: number; readonly p99: number };
  readonly firstPushResourceBytes: number;
  readonly changes: readonly ChangeResult[];
  /** The warm-up edits, in order (not in `changes`, nor in the CPU per change). */
  readonly warmups: readonly ChangeResult[];
  readonly cpu: {
    readonly startupS: number;
    readonly connectS: number;
    readonly firstPushS: number;
    readonly changesS: number;
    readonly totalS: number;
  };
  /** Host steal time (all CPUs) during the first push and during the timed changes (stealMicros). */
  readonly stealS: { readonly firstPush: number; readonly changes: number };
  readonly clientCpuS: number;
  /** The simulated proxies' CPU over the endpoint changes (their share of each change's critical path). */
  readonly clientCpuChangesS: number;
  readonly rssMb: number;
  readonly hwmMb: number;
  /** process.memoryUsage() of the control plane after a full GC at the end of the phase, MB. */
  readonly live: LiveMemory;
  readonly errors: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function runPhase(o: PhaseOptions, log: (line: string) => void): Promise<PhaseResult> {
  const { shape } = o;
  generateConfig(o.configDir, shape);
  const profArgs = o.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${o.profileDir}`] : [];
  const control = spawnNode(
    1,
    [
      "--expose-gc",
      ...(o.heapMb ? [`--max-old-space-size=${o.heapMb}`] : []),
      ...profArgs,
      // Extra flags for a closer look, e.g. BENCH_CONTROL_NODE_ARGS=--trace-gc (V8 flags reach the control plane's
      // worker thread too; signal-driven ones such as --heapsnapshot-signal act on the launcher thread only)
      ...(process.env.BENCH_CONTROL_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
    ],
    o.controlScript,
    ["--config", o.configDir, "--quiet-ms", String(o.quietMs)],
    false,
  );
  const clientProf = o.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${join(o.profileDir, "clients")}`] : [];
  const clients = spawnNode(
    0,
    // A large young generation: the simulator's garbage is short-lived message buffers (its memory is not measured).
    ["--max-old-space-size=4096", "--max-semi-space-size=64", ...clientProf],
    join(HERE, "ads-clients.ts"),
    [],
    true,
  );
  try {
    const ready = await control.next<{ xdsPort: number; startupMs: number }>(
      (e) => e.ev === "ready",
      120_000,
    );
    const cpuReady = cpuMicros(control.pid);
    log(`control plane up in ${(ready.startupMs / 1000).toFixed(2)} s (pid ${control.pid})`);
    await clients.next((e) => e.ev === "ready", 30_000);
    const send = (cmd: ClientCommand) => clients.process.send(cmd);
    send({
      op: "dial",
      port: ready.xdsPort,
      shape,
      proxiesPerConnection: o.proxiesPerConnection,
      client: o.client,
    });
    const dialed = await clients.next<Extract<ClientEvent, { ev: "dialed" }>>(
      (e) => e.ev === "dialed",
      120_000,
    );
    const cpuDialed = cpuMicros(control.pid);
    const stealDialed = stealMicros();
    log(
      `${dialed.connections} HTTP/2 connections up in ${
        (dialed.connectMs / 1000).toFixed(2)
      } s (control CPU ${((cpuDialed - cpuReady) / 1e6).toFixed(2)} s)`,
    );
    const clientCpuReady = cpuMicros(clients.pid);
    // BENCH_CONTROL_PROFILE (see profile-toggle.ts): the first push (default) or the changes, of the control
    // plane (default) or of the simulated proxies (BENCH_CONTROL_PROFILE_PROC=clients).
    const profilePart = process.env.BENCH_CONTROL_PROFILE
      ? process.env.BENCH_CONTROL_PROFILE_PART ?? "first"
      : "";
    const profiled = process.env.BENCH_CONTROL_PROFILE_PROC === "clients" ? clients : control;
    if (profilePart === "first") profiled.process.kill("SIGUSR1");
    send({ op: "connect", mode: o.mode, shape, timeoutMs: 600_000 });
    const full = await clients.next<Extract<ClientEvent, { ev: "full" }>>((e) => e.ev === "full", 620_000);
    const cpuFull = cpuMicros(control.pid);
    const stealFull = stealMicros();
    if (profilePart === "first") profiled.process.kill("SIGUSR1");
    const clientCpuFirstPush = (cpuMicros(clients.pid) - clientCpuReady) / 1e6;
    const firstPushMs = full.fullMs.at(-1) ?? Number.NaN;
    // Which side was busy: when the simulator's CPU is close to the wall time, it, not the control plane, set it.
    log(
      `${full.connected}/${shape.proxies} proxies complete ${(firstPushMs / 1000).toFixed(2)} s after the ` +
        `streams opened (${full.stats.responses} responses${
          full.stats.decoded > 0 ? `, ${full.stats.decoded} distinct` : ""
        }; CPU: control ${((cpuFull - cpuDialed) / 1e6).toFixed(2)} s, simulator ${
          clientCpuFirstPush.toFixed(2)
        } s, host steal ${((stealFull - stealDialed) / 1e6).toFixed(2)} s)`,
    );
    let errors = full.stats.errors;
    await sleep(1000);
    /** Edit number `c` (a service, an address no other edit of the run uses) and what it took. */
    const change = async (c: number, label: string): Promise<ChangeResult> => {
      const service = (c * 97 + 13) % shape.services;
      const address = changedIp(o.changeOffset + c);
      const content = endpointSliceYaml(service, shape, {
        endpoint: shape.endpointsPerService - 1,
        ip: address,
      });
      const eventsBefore = control.events.length;
      const cpuBefore = cpuMicros(control.pid);
      const stealBefore = stealMicros();
      send({
        op: "change",
        id: c,
        file: endpointSliceFile(o.configDir, service, shape),
        content,
        cluster: edsClusterName(service, shape),
        address,
        timeoutMs: 120_000,
      });
      const r = await clients.next<Extract<ClientEvent, { ev: "changed" }>>(
        (e) => e.ev === "changed" && e.id === c,
        130_000,
      );
      const controlCpuMs = (cpuMicros(control.pid) - cpuBefore) / 1000;
      const stealMs = (stealMicros() - stealBefore) / 1000;
      errors += r.stats.errors;
      const after = control.events.slice(eventsBefore);
      const config = after.find((e) => e.ev === "config" && (e.at as number) >= r.writtenAt);
      const push = config && after.find((e) => e.ev === "push" && (e.at as number) >= (config.at as number));
      const result: ChangeResult = {
        service,
        lastAckMs: r.ackMs.length === r.expected ? r.ackMs.at(-1)! : Number.POSITIVE_INFINITY,
        medianAckMs: percentile(r.ackMs, 50),
        acked: r.ackMs.length,
        expected: r.expected,
        configMs: config ? (config.at as number) - r.writtenAt : undefined,
        pushMs: push ? (push.at as number) - (config!.at as number) : undefined,
        resourceBytes: r.stats.resourceBytes,
        responses: r.stats.responses,
        controlCpuMs,
        stealMs,
      };
      log(
        `${label} (svc ${service}): last ACK ${result.lastAckMs.toFixed(0)} ms ` +
          `(${r.ackMs.length}/${r.expected}; config ${result.configMs?.toFixed(0) ?? "?"} ms, push ${
            result.pushMs?.toFixed(0) ?? "?"
          } ms; control CPU ${controlCpuMs.toFixed(0)} ms, host steal ${stealMs.toFixed(0)} ms)`,
      );
      // Let the previous push drain so that edits are not coalesced by the debouncer.
      await sleep(300 + o.quietMs);
      return result;
    };
    // The first edits after a start run code the first push did not (not yet optimized): timed, kept apart.
    const warmups: ChangeResult[] = [];
    for (let c = 0; c < o.warmups; c++) warmups.push(await change(c, `warm-up change ${c + 1}/${o.warmups}`));
    const cpuChangesStart = cpuMicros(control.pid);
    const stealChangesStart = stealMicros();
    const clientCpuChangesStart = cpuMicros(clients.pid);
    if (profilePart === "changes") profiled.process.kill("SIGUSR1");
    const changes: ChangeResult[] = [];
    for (let c = 0; c < o.changes; c++) {
      changes.push(await change(o.warmups + c, `change ${c + 1}/${o.changes}`));
    }
    const cpuEnd = cpuMicros(control.pid);
    const stealEnd = stealMicros();
    const clientCpuChangesS = (cpuMicros(clients.pid) - clientCpuChangesStart) / 1e6;
    if (profilePart === "changes") profiled.process.kill("SIGUSR1");
    const mem = memoryMb(control.pid);
    // Then what is live: the control plane runs a full GC and reports (after the CPU and RSS readings).
    control.process.kill("SIGUSR2");
    const live = (await control.next<{ memory: LiveMemory }>((e) => e.ev === "memory", 30_000)).memory;
    log(
      `RSS ${mem.rssMb.toFixed(0)} MB (peak ${
        mem.hwmMb.toFixed(0)
      }); after a full GC: heap ${live.heapUsed} MB, ` +
        `array buffers ${live.arrayBuffers} MB, rss ${live.rss} MB`,
    );
    const clientCpuS = cpuMicros(clients.pid) / 1e6;
    const firstPushResourceBytes = full.stats.resourceBytes;
    return {
      mode: o.mode,
      quietMs: o.quietMs,
      proxies: shape.proxies,
      connected: full.connected,
      startupMs: ready.startupMs,
      connectMs: dialed.connectMs,
      firstPushMs,
      firstPushPerProxyMs: { p50: percentile(full.fullMs, 50), p99: percentile(full.fullMs, 99) },
      firstPushResourceBytes,
      changes,
      warmups,
      cpu: {
        startupS: cpuReady / 1e6,
        connectS: (cpuDialed - cpuReady) / 1e6,
        firstPushS: (cpuFull - cpuDialed) / 1e6,
        changesS: (cpuEnd - cpuChangesStart) / 1e6,
        totalS: cpuEnd / 1e6,
      },
      stealS: { firstPush: (stealFull - stealDialed) / 1e6, changes: (stealEnd - stealChangesStart) / 1e6 },
      clientCpuS,
      clientCpuChangesS,
      rssMb: mem.rssMb,
      hwmMb: mem.hwmMb,
      live,
      errors,
    };
  } finally {
    if (clients.process.connected) clients.process.send({ op: "close" } satisfies ClientCommand);
    await clients.stop(3000);
    await control.stop(o.profileDir ? 30_000 : 5000);
  }
}
