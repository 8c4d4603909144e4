// One core, three runtimes: req/s and latency through Node, Deno and workerd for one route table and upstream.
//
//   npm run bench:runtimes [-- --duration 10 --rate 200 --only node,deno,workerd --no-build --no-cold-start]
//
// Builds dist/weft.mjs and dist/worker/worker.js, starts bench/upstream.mjs (pinned to core 0 with the load
// generators), then per runtime (pinned to core 1): start → first 200, a 2 s warm-up, wrk -t1 -c16 (req/s,
// CPU µs/req over the process tree), a paced run (p50/p99). Last, the Worker's cold start (bench/edge-cold-start.ts).
// Writes bench/results/runtimes-latest.json and prints a Markdown table.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { LOAD_CORE, type PacedResult, runPaced, runWrk, type WrkResult } from "./lib/load-tools.ts";
import { findTool, killAll, spawnPinned } from "./lib/processes.ts";
import {
  denoVersion,
  type RunningRuntime,
  RUNTIME_TARGETS,
  type RuntimeEnv,
  type RuntimeTarget,
  treeCpuMicros,
} from "./runtimes/targets.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RESULTS = join(ROOT, "bench/results");
const PROXY_CORE = 1;
const CONNECTIONS = 16;

const USAGE = `Usage: npm run bench:runtimes -- [options]

  --duration <s>     Seconds per saturating (wrk) and paced run (default 10).
  --rate <n>         Paced-run rate in req/s (default 200).
  --only <list>      Comma-separated: ${RUNTIME_TARGETS.map((t) => t.key).join(",")} (default all).
  --repeat <n>       Runs per phase, keeping the least disturbed (highest req/s, lowest paced p99); default 1.
  --no-build         Use dist/weft.mjs and dist/worker/worker.js as they are.
  --no-cold-start    Skip the Worker cold-start measurement (bench/edge-cold-start.ts).
`;

interface Row {
  readonly runtime: string;
  readonly how: string;
  status: string;
  firstResponseMs?: number;
  wrk?: WrkResult & { cpuUsPerReq?: number; cpuPct?: number; routed?: number };
  paced?: PacedResult;
}

async function firstOk(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no 200 from ${url} within ${timeoutMs} ms (${last})`);
}

async function measure(
  target: RuntimeTarget,
  env: RuntimeEnv,
  wrk: string,
  o: { duration: number; rate: number; repeat: number },
) {
  const row: Row = { runtime: target.name, how: target.how, status: "ok" };
  const log = (msg: string) => console.error(`bench:runtimes: ${target.name}: ${msg}`);
  log("starting");
  const t0 = performance.now();
  const running = await target.start(env);
  try {
    await firstOk(running.url);
    row.firstResponseMs = performance.now() - t0;
    log(`first 200 after ${row.firstResponseMs.toFixed(0)} ms; warm-up 2 s`);
    await runWrk(wrk, running.url, 2, CONNECTIONS);
    for (let i = 0; i < o.repeat; i++) {
      log(`wrk -t1 -c${CONNECTIONS} -d${o.duration}s (${i + 1}/${o.repeat})`);
      const w = await saturate(running, wrk, o.duration);
      if (!row.wrk || w.rps > row.wrk.rps) row.wrk = w;
    }
    const w = row.wrk!;
    if (w.rps < o.rate * 1.25) {
      // a paced run above (or near) capacity measures queueing, not the proxy
      row.status = `saturates at ${Math.round(w.rps)} req/s: no paced run at ${o.rate} req/s`;
      log(row.status);
      return row;
    }
    for (let i = 0; i < o.repeat; i++) {
      log(`${Math.round(w.rps)} req/s; paced ${o.rate} req/s for ${o.duration}s (${i + 1}/${o.repeat})`);
      const paced = await runPaced(running.url, o.rate, o.duration);
      if (!row.paced || paced.p99Ms < row.paced.p99Ms) row.paced = paced;
    }
    if (w.non2xx + w.socketErrors > 0 || row.paced!.errors > 0) {
      row.status = `errors: wrk ${w.non2xx + w.socketErrors}, paced ${row.paced!.errors}`;
    }
  } catch (err) {
    row.status = `error: ${(err as Error).message.split("\n")[0]}`;
    log((err as Error).message);
  } finally {
    await running.stop();
  }
  return row;
}

/** One saturating wrk run with the CPU time of the runtime's process tree read around it. */
async function saturate(
  running: RunningRuntime,
  wrk: string,
  seconds: number,
): Promise<NonNullable<Row["wrk"]>> {
  const routed0 = await running.routed?.();
  const cpu0 = running.pid ? treeCpuMicros(running.pid) : 0;
  const t0 = performance.now();
  const w = await runWrk(wrk, running.url, seconds, CONNECTIONS);
  const wallUs = (performance.now() - t0) * 1000;
  const cpu = running.pid ? treeCpuMicros(running.pid) - cpu0 : undefined;
  const routed1 = await running.routed?.();
  return {
    ...w,
    cpuUsPerReq: cpu === undefined ? undefined : cpu / w.requests,
    cpuPct: cpu === undefined ? undefined : (cpu / wallUs) * 100,
    routed: routed0 === undefined || routed1 === undefined ? undefined : routed1 - routed0,
  };
}

interface ColdStart {
  readonly readyMs?: number;
  readonly firstRequestMs?: number;
  readonly warmRequestMs?: number;
  readonly error?: string;
}

/** Runs bench/edge-cold-start.ts (fresh Miniflare ×5 against `weft control`) and reads its three medians. */
function edgeColdStart(): ColdStart {
  try {
    const out = execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "bench/edge-cold-start.ts")], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 120_000,
    });
    const median = (label: string) => {
      const m = out.match(new RegExp(`^${label}.*median ([\\d.]+) ms`, "m"));
      return m ? Number(m[1]) : undefined;
    };
    return {
      readyMs: median("workerd ready"),
      firstRequestMs: median("first request"),
      warmRequestMs: median("warm request"),
    };
  } catch (err) {
    return { error: (err as Error).message.split("\n")[0] };
  }
}

const f0 = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? "–" : Math.round(n).toLocaleString("en-US");
const f2 = (n: number | undefined) => n === undefined || Number.isNaN(n) ? "–" : n.toFixed(2);

function markdown(rows: readonly Row[]): string {
  const base = rows.find((r) => r.runtime === "direct")?.paced?.p50Ms;
  const lines = [
    `| runtime | req/s (wrk -c${CONNECTIONS}) | CPU µs/req | p50 (wrk) ms | p50 paced ms | p99 paced ms | ` +
    "added p50 ms | start → first 200 ms |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    if (!r.wrk) {
      lines.push(`| ${r.runtime} | ${r.status} | | | | | | |`);
      continue;
    }
    const added = base === undefined || r.runtime === "direct" || !r.paced ? undefined : r.paced.p50Ms - base;
    const note = r.status === "ok" ? "" : ` (${r.status})`;
    lines.push(
      `| ${r.runtime}${note} | ${f0(r.wrk.rps)} | ${f0(r.wrk.cpuUsPerReq)} | ${f2(r.wrk.p50Ms)} | ` +
        `${f2(r.paced?.p50Ms)} | ${f2(r.paced?.p99Ms)} | ${f2(added)} | ` +
        `${r.runtime === "direct" ? "–" : f0(r.firstResponseMs)} |`,
    );
  }
  return lines.join("\n");
}

const { values } = parseArgs({
  options: {
    duration: { type: "string" },
    rate: { type: "string" },
    only: { type: "string" },
    repeat: { type: "string" },
    "no-build": { type: "boolean" },
    "no-cold-start": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const duration = Number(values.duration ?? 10);
const rate = Number(values.rate ?? 200);
const repeat = Math.max(1, Math.floor(Number(values.repeat ?? 1)) || 1);
const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
const targets = RUNTIME_TARGETS.filter((t) => !only || only.includes(t.key));
const wrk = findTool("wrk", ["/usr/bin/wrk"]);
if (!wrk || !(duration > 0) || !(rate > 0) || targets.length === 0) {
  console.error(`bench:runtimes: ${!wrk ? "wrk is not installed" : "bad options"}\n\n${USAGE}`);
  process.exit(2);
}
const taskset = findTool("taskset", ["/usr/bin/taskset"]);
const core = taskset ? PROXY_CORE : undefined;

if (!values["no-build"]) {
  console.error("bench:runtimes: building dist/weft.mjs and dist/worker/worker.js");
  execFileSync(process.execPath, [join(ROOT, "scripts/build.js")], { cwd: ROOT, stdio: "inherit" });
  execFileSync(process.execPath, [join(ROOT, "scripts/build-edge.js")], {
    cwd: ROOT,
    stdio: ["ignore", 2, 2],
  });
}

const machine = {
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  loadavgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  node: process.version,
  deno: denoVersion(),
  pinning: taskset ? { runtime: PROXY_CORE, loadAndUpstream: LOAD_CORE } : "none (taskset not installed)",
};
console.error(
  `bench:runtimes: ${machine.cores} cores, load ${machine.loadavgAtStart.join(" ")}, ${machine.deno}`,
);
const dir = mkdtempSync(join(tmpdir(), "weft-bench-runtimes-"));
const upstream = spawnPinned(LOAD_CORE, process.execPath, [join(ROOT, "bench/upstream.mjs"), "0", "0"]);
try {
  const upstreamPort = Number((await upstream.waitFor(/^ready (\d+) (\d+)/m))[1]);
  const env: RuntimeEnv = { dir, upstreamPort, core };
  const rows: Row[] = [];
  for (const target of targets) rows.push(await measure(target, env, wrk, { duration, rate, repeat }));
  await upstream.stop();
  let coldStart: ColdStart | undefined;
  if (!values["no-cold-start"]) {
    console.error("bench:runtimes: Worker cold start (bench/edge-cold-start.ts)");
    coldStart = edgeColdStart();
  }
  const table = markdown(rows);
  const loadEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  console.log(
    `\n## Runtimes — ${machine.date}, ${machine.cores} cores, load ${machine.loadavgAtStart.join(" ")}\n`,
  );
  console.log(
    `Route table: bench/lib/configs.ts (10 routes, the 8th serves); upstream bench/upstream.mjs (100-byte body). ` +
      `wrk -t1 -c${CONNECTIONS} -d${duration}s after a 2 s warm-up; paced ${rate} req/s for ${duration}s ` +
      `(bench/paced-client.mjs); best of ${repeat} run(s) per phase.\n`,
  );
  console.log(table);
  if (coldStart) {
    console.log(
      coldStart.error
        ? `\nWorker cold start: ${coldStart.error}`
        : `\nWorker cold start (fresh Miniflare, median of 5): ` +
          `workerd ready ${f0(coldStart.readyMs)} ms, first request (proxy + config pull) ` +
          `${f2(coldStart.firstRequestMs)} ms, warm request ${f2(coldStart.warmRequestMs)} ms`,
    );
  }
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, "runtimes-latest.json");
  writeFileSync(
    file,
    `${
      JSON.stringify(
        { machine: { ...machine, loadavgAtEnd: loadEnd }, duration, rate, rows, coldStart, markdown: table },
        null,
        2,
      )
    }\n`,
  );
  console.error(`bench:runtimes: wrote ${file}`);
} finally {
  await upstream.stop();
  killAll();
  rmSync(dir, { recursive: true, force: true });
}
