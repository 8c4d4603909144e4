// The benchmark's two child processes: Node scripts pinned with taskset, stdout events ("@@ {json}") and IPC.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { findTool } from "../lib/processes.ts";

const children = new Set<ChildProcess>();
let installed = false;

function installCleanup(): void {
  if (installed) return;
  installed = true;
  const killAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  };
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

export const TASKSET = findTool("taskset", ["/usr/bin/taskset"]);

export interface NodeChild {
  readonly pid: number;
  readonly process: ChildProcess;
  /** Resolves with the next event (stdout "@@ {json}" line or IPC message) satisfying `match`. */
  next<T = Record<string, unknown>>(
    match: (e: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<T>;
  /** Every event seen so far, in order. */
  readonly events: Record<string, unknown>[];
  /** The last lines of plain output (for error messages). */
  tail(): string;
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `node <nodeArgs> <script> <args>` (with tsx loaded for a .ts script), on `core` when taskset exists;
 * `ipc` adds a channel.
 */
export function spawnNode(
  core: number,
  nodeArgs: readonly string[],
  script: string,
  args: readonly string[],
  ipc: boolean,
): NodeChild {
  installCleanup();
  const argv = [...nodeArgs, ...(script.endsWith(".ts") ? ["--import", "tsx"] : []), script, ...args];
  const cmd = TASKSET ?? process.execPath;
  const full = TASKSET ? ["-c", String(core), process.execPath, ...argv] : argv;
  const child = spawn(cmd, full, { stdio: ["ignore", "pipe", "pipe", ...(ipc ? ["ipc" as const] : [])] });
  children.add(child);
  const events: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let out = "";
  const seen = (event: Record<string, unknown>) => {
    events.push(event);
    for (const w of [...waiters]) w();
  };
  const onLine = (line: string) => {
    if (line.startsWith("@@ ")) seen(JSON.parse(line.slice(3)));
    else {
      out = `${out}${line}\n`.slice(-8000);
      if (process.env.BENCH_VERBOSE) console.error(`  [${child.pid}] ${line}`);
    }
  };
  createInterface({ input: child.stdout! }).on("line", onLine);
  createInterface({ input: child.stderr! }).on("line", onLine);
  child.on("message", (m) => seen(m as Record<string, unknown>));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => {
    children.delete(child);
    for (const w of [...waiters]) w();
  });
  let cursor = 0;
  return {
    pid: child.pid ?? -1,
    process: child,
    events,
    tail: () => out,
    next(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          while (cursor < events.length) {
            const e = events[cursor++];
            if (match(e)) return finish(() => resolve(e as never));
            if (e.ev === "error") return finish(() => reject(new Error(String(e.message))));
          }
          if (child.exitCode !== null || child.signalCode !== null) {
            finish(() =>
              reject(new Error(`${script} exited (${child.exitCode ?? child.signalCode}):\n${out}`))
            );
          }
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`${script}: no event after ${timeoutMs} ms:\n${out}`))),
          timeoutMs,
        );
        const finish = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          fn();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
