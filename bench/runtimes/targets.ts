// The runtimes under test: the same bootstrap served by Node, Deno and workerd (Miniflare, and wrangler dev).
import { denoBinary } from "../../scripts/deno-binary.js";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { startWranglerDev } from "../../adapters/node/wrangler-dev.ts";
import { BENCH_PATH, weftBootstrap } from "../lib/configs.ts";
import { type Child, cpuMicros, freePort, spawnPinned } from "../lib/processes.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface RuntimeEnv {
  /** Scratch directory for bootstraps. */
  readonly dir: string;
  readonly upstreamPort: number;
  /** Core for the runtime under test; undefined without taskset. */
  readonly core: number | undefined;
}

export interface RunningRuntime {
  readonly url: string;
  /** The root pid of what serves (its whole process tree is measured); undefined for direct. */
  readonly pid?: number;
  /** cluster.bench_upstream.upstream_rq_total from the admin API (Node, Deno): proves the 8th route served. */
  routed?(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export interface RuntimeTarget {
  /** For --only. */
  readonly key: string;
  /** The report's row label. */
  readonly name: string;
  /** How it runs, for the report. */
  readonly how: string;
  /** Resolves once the process is started; the caller then waits for the first 200 through it. */
  start(env: RuntimeEnv): Promise<RunningRuntime>;
}

const url = (port: number) => `http://127.0.0.1:${port}${BENCH_PATH}`;

let written = 0;

/** Writes the benchmark bootstrap (bench/lib/configs.ts: 10 routes, the 8th serves) as YAML and as JSON. */
function writeBootstrap(env: RuntimeEnv, listenPort: number, adminPort: number) {
  const yaml = weftBootstrap({ listenPort, adminPort, upstreamPort: env.upstreamPort });
  const n = ++written;
  const yamlFile = join(env.dir, `bootstrap-${n}.yaml`);
  const jsonFile = join(env.dir, `bootstrap-${n}.json`);
  writeFileSync(yamlFile, yaml);
  writeFileSync(jsonFile, JSON.stringify(parse(yaml)));
  return { yamlFile, jsonFile };
}

function adminCounter(adminPort: number) {
  return async () => {
    const text = await (await fetch(`http://127.0.0.1:${adminPort}/stats`)).text();
    const m = text.match(/^cluster\.bench_upstream\.upstream_rq_total: (\d+)$/m);
    return m ? Number(m[1]) : undefined;
  };
}

function fromChild(child: Child, port: number, routed?: () => Promise<number | undefined>): RunningRuntime {
  return { url: url(port), pid: child.pid, routed, stop: () => child.stop(10_000) };
}

const direct: RuntimeTarget = {
  key: "direct",
  name: "direct",
  how: "wrk → the upstream itself (baseline)",
  start: async (env) => ({ url: url(env.upstreamPort), stop: async () => {} }),
};

const node: RuntimeTarget = {
  key: "node",
  name: "node",
  how: "`node dist/weft.mjs proxy -c bootstrap.yaml` (Node " + process.version + ")",
  async start(env) {
    const [port, admin] = [await freePort(), await freePort()];
    const { yamlFile } = writeBootstrap(env, port, admin);
    const child = spawnPinned(
      env.core,
      process.execPath,
      [join(ROOT, "dist/weft.mjs"), "proxy", "-c", yamlFile, "--drain-time-s", "0"],
      ROOT,
    );
    return fromChild(child, port, adminCounter(admin));
  },
};

const DENO: string = denoBinary();

export function denoVersion(): string {
  return execFileSync(DENO, ["--version"], { encoding: "utf8" }).split("\n")[0];
}

const deno: RuntimeTarget = {
  key: "deno",
  name: "deno",
  how: "`deno run -A adapters/deno/cli.ts -c bootstrap.yaml` (what `node scripts/deno.js run …` runs)",
  async start(env) {
    const [port, admin] = [await freePort(), await freePort()];
    const { yamlFile } = writeBootstrap(env, port, admin);
    // scripts/deno.js waits in spawnSync, so its pid would not be Deno's: run the binary with its env instead.
    process.env.DENO_DIR = join(ROOT, ".deno");
    process.env.DENO_NO_UPDATE_CHECK = "1";
    process.env.NO_COLOR = "1";
    const child = spawnPinned(env.core, DENO, ["run", "-A", "adapters/deno/cli.ts", "-c", yamlFile], ROOT);
    return fromChild(child, port, adminCounter(admin));
  },
};

/** Starts bench/runtimes/workerd-peer.mjs: `script` in workerd (Miniflare) on a free port, with `bindings`. */
async function startWorkerd(env: RuntimeEnv, script: string, bindings: Record<string, string>) {
  const port = await freePort();
  const bindingsFile = join(env.dir, `bindings-${port}.json`);
  writeFileSync(bindingsFile, JSON.stringify(bindings));
  const child = spawnPinned(env.core, process.execPath, [
    join(ROOT, "bench/runtimes/workerd-peer.mjs"),
    String(port),
    script,
    bindingsFile,
  ], ROOT);
  return fromChild(child, port);
}

const workerd: RuntimeTarget = {
  key: "workerd",
  name: "workerd",
  how: "dist/worker/worker.js (`npm run build:edge`) in workerd via Miniflare, WEFT_BOOTSTRAP = the same " +
    "bootstrap as JSON; workerd serves the port itself",
  async start(env) {
    const { jsonFile } = writeBootstrap(env, 0, 0);
    return await startWorkerd(env, join(ROOT, "dist/worker/worker.js"), {
      WEFT_BOOTSTRAP: readFileSync(jsonFile, "utf8"),
      WEFT_CONTROL_URL: "", // static config only
    });
  },
};

const workerdFloor: RuntimeTarget = {
  key: "passthrough",
  name: "workerd pass-through",
  how: "bench/runtimes/passthrough-worker.js (no Weft: `fetch()` to the upstream) served the same way: " +
    "the runtime's own cost",
  start: (env) =>
    startWorkerd(env, join(ROOT, "bench/runtimes/passthrough-worker.js"), {
      UPSTREAM_PORT: String(env.upstreamPort),
    }),
};

/** Every pid in the tree under `pid` (itself first), from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      let children = "";
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, "utf8");
      } catch {
        continue;
      }
      for (const c of children.trim().split(/\s+/).filter(Boolean)) walk(Number(c));
    }
  };
  walk(pid);
  return out;
}

/** CPU time (user + system, µs) of the whole process tree under `pid`. */
export function treeCpuMicros(pid: number): number {
  let sum = 0;
  for (const p of processTree(pid)) {
    try {
      sum += cpuMicros(p);
    } catch {
      // exited meanwhile
    }
  }
  return sum;
}

const wranglerDev: RuntimeTarget = {
  key: "wrangler",
  name: "workerd (wrangler dev)",
  how:
    "`wrangler dev -c deploy/workers/wrangler.jsonc --var WEFT_BOOTSTRAP:<json>` (what `npm run demo:edge` " +
    "runs; bundles first, logs each request)",
  async start(env) {
    const { jsonFile } = writeBootstrap(env, 0, 0);
    const dev = await startWranglerDev({
      port: 0,
      vars: {
        WEFT_BOOTSTRAP: readFileSync(jsonFile, "utf8"),
        WEFT_CONTROL_URL: "",
        WEFT_ACCESS_LOG: "false",
      },
    });
    if (env.core !== undefined) {
      for (const p of processTree(dev.pid)) {
        execFileSync("taskset", ["-a", "-c", "-p", String(env.core), String(p)], { stdio: "ignore" });
      }
    }
    return { url: `${dev.url}${BENCH_PATH}`, pid: dev.pid, stop: dev.stop };
  },
};

export const RUNTIME_TARGETS: readonly RuntimeTarget[] = [
  direct,
  node,
  deno,
  workerd,
  workerdFloor,
  wranglerDev,
];
