// Child processes for the benchmark: spawn pinned to a core, wait until listening, read /proc, and always clean up.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { connect, createServer } from "node:net";

const children = new Set<ChildProcess>();
let cleanupInstalled = false;

/** Kills every child still running (SIGKILL, synchronous), e.g. on exit, error or Ctrl-C. */
export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      console.error(`\nbench: ${signal}, stopping children`);
      killAll();
      process.exit(130);
    });
  }
  process.on("uncaughtException", (err) => {
    console.error(err);
    killAll();
    process.exit(1);
  });
}

export interface Child {
  readonly pid: number;
  readonly process: ChildProcess;
  /** stdout + stderr so far (for error messages). */
  output(): string;
  /** Resolves with the first stdout line matching `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

let taskset: string | undefined | null = null;

/** Spawns `cmd args` under `taskset -c <core>` (exec'd, so the pid is the program's own); unpinned without taskset. */
export function spawnPinned(
  pinTo: number | undefined,
  cmd: string,
  args: readonly string[],
  cwd?: string,
): Child {
  installCleanup();
  if (taskset === null) taskset = findTool("taskset", ["/usr/bin/taskset"]);
  const core = taskset ? pinTo : undefined;
  const argv = core === undefined ? [cmd, ...args] : ["-c", String(core), cmd, ...args];
  const child = spawn(core === undefined ? cmd : taskset!, argv, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
    for (const l of listeners) l();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => {
    children.delete(child);
    for (const l of listeners) l();
  });
  child.once("error", (err) => {
    out += `\n${err.message}`;
    for (const l of listeners) l();
  });
  return {
    pid: child.pid ?? -1,
    process: child,
    output: () => out,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) return done(() => resolve(m));
          if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
            done(() => reject(new Error(`${cmd} exited before ready:\n${out.slice(-2000)}`)));
          }
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`${cmd} not ready after ${timeoutMs} ms:\n${out.slice(-2000)}`))),
          timeoutMs,
        );
        const done = (fn: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          fn();
        };
        listeners.add(check);
        check();
      });
    },
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a command to completion (pinned), returning its stdout; rejects on a non-zero exit. */
export async function runPinned(
  core: number | undefined,
  cmd: string,
  args: readonly string[],
): Promise<string> {
  const child = spawnPinned(core, cmd, args);
  const code = await new Promise<number | null>((resolve) => child.process.once("close", (c) => resolve(c)));
  if (code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited with ${code}:\n${child.output().slice(-2000)}`);
  }
  return child.output();
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls until 127.0.0.1:port accepts a connection. */
export async function waitForPort(port: number, child: Child, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`process exited before listening on ${port}:\n${child.output().slice(-2000)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`nothing listening on ${port} after ${timeoutMs} ms:\n${child.output().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const CLK_TCK = 100; // Linux USER_HZ; `getconf CLK_TCK` is 100 on every mainstream kernel.

/** Process CPU time (user + system, all threads) in microseconds, from /proc/<pid>/stat. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After "pid (comm) ", field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
  return ((Number(fields[11]) + Number(fields[12])) / CLK_TCK) * 1e6;
}

/**
 * CPU time the hypervisor gave to others while this VM wanted to run ("steal", /proc/stat, all CPUs), in µs:
 * how much a run was slowed by its host, which the process's own CPU time does not show.
 */
export function stealMicros(): number {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/);
  // "cpu user nice system idle iowait irq softirq steal …"
  return (Number(cpu[8] ?? 0) / CLK_TCK) * 1e6;
}

/** VmRSS and VmHWM in MB from /proc/<pid>/status. */
export function memoryMb(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) =>
    Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1] ?? Number.NaN);
  return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
}

/** Whether an executable exists at one of the given paths or on PATH. */
export function findTool(name: string, paths: readonly string[]): string | undefined {
  for (const p of paths) if (existsSync(p)) return p;
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}
