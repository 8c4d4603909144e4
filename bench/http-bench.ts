// HTTP benchmark: direct vs Weft vs nginx vs Node peers on loopback (wrk, paced client, h2load). `npm run bench -- --help`.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { LOAD_CORE } from "./lib/load-tools.ts";
import { measure, type MeasureOptions } from "./lib/measure.ts";
import { findTool } from "./lib/processes.ts";
import { runBench, withUpstream } from "./lib/upstream.ts";
import { type BenchEnv, PROXY_CORE, TARGETS } from "./lib/targets.ts";
import { computeRatios, evaluateGoals, markdownGoals, markdownTable, type Row } from "./lib/report.ts";
import { markdownProfile, summarizeProfile } from "./lib/cpu-profile.ts";
import { createTsxMapper } from "./lib/source-map.ts";

const USAGE = `Usage: npm run bench -- [options]

  --duration <s>     Seconds per saturating (wrk) and paced run (default 10).
  --only <list>      Comma-separated targets: ${TARGETS.map((t) => t.name).join(",")} (default all).
  --quick            Smoke check: 2 s runs, 20k h2load requests.
  --rate <n>         Paced-run rate in req/s (default 1000).
  --h2-requests <n>  h2load request count (default 100000).
  --repeat <n>       Runs per phase, keeping the least disturbed (highest req/s, lowest paced p99); default 1.
  --profile          Start Weft (and the floor) with --inspect and CPU-profile one extra wrk run and one extra h2load run
                     (after the measured ones); print the top 15 self-time functions (file:line) and files.
`;

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RESULTS = join(ROOT, "bench/results");

interface Options extends MeasureOptions {
  readonly only: readonly string[];
}

function parseOptions(): Options | undefined {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      only: { type: "string" },
      quick: { type: "boolean" },
      rate: { type: "string" },
      "h2-requests": { type: "string" },
      profile: { type: "boolean" },
      repeat: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const quick = Boolean(values.quick);
  const duration = Number(values.duration ?? (quick ? 2 : 10));
  const only = values.only
    ? values.only.split(",").map((s) => s.trim()).filter(Boolean)
    : TARGETS.map((t) => t.name);
  const unknown = only.filter((n) => !TARGETS.some((t) => t.name === n));
  if (unknown.length || !(duration > 0)) {
    console.error(
      `bench: ${unknown.length ? `unknown target(s) ${unknown.join(",")}` : "bad --duration"}\n\n${USAGE}`,
    );
    process.exit(2);
  }
  return {
    duration,
    warmup: quick ? 1 : 2,
    rate: Number(values.rate ?? 1000),
    h2Requests: Number(values["h2-requests"] ?? (quick ? 20_000 : 100_000)),
    only,
    repeat: Math.max(1, Math.floor(Number(values.repeat ?? 1)) || 1),
    profileDir: values.profile
      ? join(RESULTS, `profile-${new Date().toISOString().replace(/[:.]/g, "-")}`)
      : undefined,
  };
}

interface Tools {
  readonly wrk?: string;
  readonly h2load?: string;
  readonly nginx?: string;
  readonly taskset?: string;
}

function machine(tools: Tools) {
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    loadavgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    tools,
    pinning: tools.taskset
      ? { proxy: PROXY_CORE, loadAndUpstream: LOAD_CORE }
      : "none (taskset not installed)",
  };
}

function reportProfiles(rows: readonly Row[]): string | undefined {
  const mapper = createTsxMapper();
  const parts: string[] = [];
  for (const row of rows) {
    for (const [protocol, file] of Object.entries(row.profiles ?? {})) {
      const summary = summarizeProfile(JSON.parse(readFileSync(file, "utf8")), ROOT, 15, mapper);
      const load = protocol === "h1" ? "wrk -t1 -c32 (HTTP/1.1)" : "h2load -c 4 -m 10 (h2c)";
      parts.push(`### ${row.target} CPU profile, ${load}\n\n${file}\n\n${markdownProfile(summary)}`);
    }
  }
  return parts.length ? parts.join("\n\n") : undefined;
}

async function main(): Promise<void> {
  const opts = parseOptions();
  if (!opts) return;
  const tools: Tools = {
    wrk: findTool("wrk", ["/usr/bin/wrk"]),
    h2load: findTool("h2load", ["/usr/bin/h2load"]),
    nginx: findTool("nginx", ["/usr/sbin/nginx"]),
    taskset: findTool("taskset", ["/usr/bin/taskset"]),
  };
  const info = machine(tools);
  console.error(
    `bench: ${info.cores} cores (${info.cpu}), load ${info.loadavgAtStart.join(" ")}, node ${info.node}`,
  );
  mkdirSync(RESULTS, { recursive: true });
  if (opts.profileDir) mkdirSync(opts.profileDir, { recursive: true });
  await withUpstream(async ({ dir, h1Port, h2Port, pid }) => {
    const env: BenchEnv = {
      dir,
      upstreamPort: h1Port,
      upstreamH2Port: h2Port,
      tools: { nginx: tools.nginx },
      proxyCore: tools.taskset ? PROXY_CORE : undefined,
      profile: Boolean(opts.profileDir),
    };
    const rows: Row[] = [];
    for (const target of TARGETS.filter((t) => opts.only.includes(t.name))) {
      rows.push(await measure(target, env, tools, opts, pid));
    }
    const best = computeRatios(rows);
    const goals = evaluateGoals(rows);
    const table = markdownTable(rows);
    console.log(`\n## HTTP benchmark — ${info.date}, ${info.cores} cores, node ${info.node}\n`);
    console.log(
      `wrk -t1 -c32 -d${opts.duration}s (saturating), paced ${opts.rate} req/s for ${opts.duration}s, ` +
        `h2load -n ${opts.h2Requests} -c 4 -m 10; best of ${opts.repeat} run(s) per phase.`,
    );
    console.log(
      `Best Node peer: ${best.bestPeerRps ?? "–"} (req/s), ${best.bestPeerCpu ?? "–"} (CPU/req).\n`,
    );
    console.log(`${table}\n\n${markdownGoals(goals)}\n`);
    const profile = reportProfiles(rows);
    if (profile) console.log(`${profile}\n`);
    const json = { machine: info, options: opts, bestPeer: best, rows, goals, markdown: table };
    writeFileSync(join(RESULTS, "latest.json"), `${JSON.stringify(json, null, 2)}\n`);
    if (profile) writeFileSync(join(RESULTS, "profile-latest.md"), `${profile}\n`);
    console.error(`bench: wrote ${join(RESULTS, "latest.json")}`);
  });
}

runBench(main);
