// Runs the edge gateway Worker (deploy/workers) locally in workerd with `wrangler dev`, offline, as a child process.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { packagePath } from "./package-root.ts";

export interface WranglerDevOptions {
  /** Port for the Worker (0: a free one). */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Worker vars (`--var KEY:VALUE`), on top of deploy/workers/wrangler.jsonc's. */
  readonly vars?: Readonly<Record<string, string>>;
  /** Every output line of wrangler and of the Worker (its access log); default: dropped. */
  readonly log?: (line: string) => void;
  /** How long wrangler may take to print "Ready on" (default 60 s: it bundles first). */
  readonly readyTimeoutMs?: number;
}

export interface RunningWranglerDev {
  /** http://host:port */
  readonly url: string;
  readonly port: number;
  /** wrangler's pid (workerd runs as its child, in the same process group). */
  readonly pid: number;
  /** Everything wrangler printed so far (the last 100 KB). */
  output(): string;
  /** Resolves when wrangler exits (stopped or crashed). */
  readonly exited: Promise<void>;
  /** Stops wrangler and workerd (SIGTERM to the process group, SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** wrangler's entry script (a devDependency: present in a checkout, not in an installed package). */
export function wranglerScript(): string | undefined {
  const script = packagePath("node_modules/wrangler/bin/wrangler.js");
  return existsSync(script) ? script : undefined;
}

/** Why `wrangler dev` cannot run here (wrangler missing, workerd cannot execute), or undefined when it can. */
export function wranglerDevProblem(): string | undefined {
  if (!wranglerScript()) return "wrangler is not installed (a devDependency: run npm install in a checkout)";
  const workerd = packagePath("node_modules/workerd/bin/workerd");
  if (!existsSync(workerd)) return "workerd is not installed (it comes with wrangler: run npm install)";
  const probe = spawnSync(workerd, ["--version"], { encoding: "utf8", timeout: 10_000 });
  if (probe.error || probe.status !== 0) {
    return `workerd cannot run here: ${probe.error?.message ?? probe.stderr.trim().split("\n")[0]}`;
  }
  return undefined;
}

/** A TCP port free on `host` right now. */
export function freeTcpPort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Environment for an offline wrangler: no metrics, no Cloudflare requests, its config dir inside the repo. */
export function offlineWranglerEnv(): NodeJS.ProcessEnv {
  const config = packagePath(".wrangler/config");
  mkdirSync(config, { recursive: true });
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    XDG_CONFIG_HOME: config,
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

/**
 * Starts `wrangler dev -c deploy/workers/wrangler.jsonc` and resolves once it serves. wrangler runs in its own
 * process group (so workerd dies with it); the group is also killed when this process exits.
 */
export async function startWranglerDev(options: WranglerDevOptions): Promise<RunningWranglerDev> {
  const script = wranglerScript();
  if (!script) throw new Error(wranglerDevProblem());
  const host = options.host ?? "127.0.0.1";
  const port = options.port || await freeTcpPort(host);
  const inspectorPort = await freeTcpPort();
  const vars = Object.entries(options.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const child = spawn(process.execPath, [
    script,
    "dev",
    "-c",
    join("deploy", "workers", "wrangler.jsonc"),
    "--ip",
    host,
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--show-interactive-dev-session=false",
    ...vars,
  ], { cwd: packagePath("."), env: offlineWranglerEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  const onExit = () => killGroup(child, "SIGKILL");
  process.once("exit", onExit);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve()); // could not be spawned
  });
  void exited.then(() => process.off("exit", onExit));

  let out = "";
  let pending = "";
  let check: (() => void) | undefined;
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) options.log?.(line);
    check?.();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);

  const stop = async () => {
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`wrangler dev not ready after ${options.readyTimeoutMs ?? 60_000} ms:\n${out}`)),
        options.readyTimeoutMs ?? 60_000,
      );
      check = () => {
        if (/Ready on http/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run wrangler: ${err.message}`));
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`wrangler dev exited before it was ready:\n${out.slice(-4000)}`));
      });
      check();
    });
  } catch (err) {
    await stop();
    throw err;
  } finally {
    check = undefined;
  }
  return {
    url: `http://${host}:${port}`,
    port,
    pid: child.pid!,
    output: () => out,
    exited,
    stop,
  };
}
