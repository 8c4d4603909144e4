// Measures one target: warm-up, saturating wrk (CPU/req, RSS), paced latency, h2load (best of `repeat`), profiles.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectProfiler } from "./inspector-profiler.ts";
import { runH2load, runPaced, runWrk } from "./load-tools.ts";
import type { PacedResult } from "./load-tools.ts";
import { cpuMicros, memoryMb } from "./processes.ts";
import type { H1Measure, H2Measure, Row } from "./report.ts";
import type { BenchEnv, RunningTarget, Target } from "./targets.ts";

export interface MeasureOptions {
  readonly duration: number;
  readonly warmup: number;
  readonly rate: number;
  readonly h2Requests: number;
  /** Runs per phase; the least disturbed one is kept (highest req/s, lowest paced p99). */
  readonly repeat: number;
  /** Where to write CPU profiles of targets that can be profiled (an extra run per protocol). */
  readonly profileDir?: string;
}

export interface MeasureTools {
  readonly wrk?: string;
  readonly h2load?: string;
}

export async function measure(
  target: Target,
  env: BenchEnv,
  tools: MeasureTools,
  opts: MeasureOptions,
  upstreamPid: number,
): Promise<Row> {
  const row: Row = { target: target.name, nodePeer: target.nodePeer, status: "ok" };
  const missing = !tools.wrk ? "wrk not installed" : target.missing(env);
  if (missing) {
    row.status = `skipped: ${missing}`;
    return row;
  }
  const log = (msg: string) => console.error(`bench: ${target.name}: ${msg}`);
  log("starting");
  const running = await target.start(env);
  try {
    log(`warm-up ${opts.warmup}s`);
    await runWrk(tools.wrk!, running.h1Url, opts.warmup);
    let rss: number | undefined;
    for (let i = 0; i < opts.repeat; i++) {
      log(`wrk -t1 -c32 -d${opts.duration}s (${i + 1}/${opts.repeat})`);
      const h1 = await saturate(running, tools.wrk!, opts.duration, upstreamPid);
      log(`${Math.round(h1.rps)} req/s, ${h1.cpuUsPerReq?.toFixed(1) ?? "–"} µs CPU/req`);
      if (!row.h1 || h1.rps > row.h1.rps) row.h1 = h1;
      if (h1.rssMb !== undefined) rss = Math.max(rss ?? 0, h1.rssMb);
    }
    // Memory is reported over all runs: the highest VmRSS seen and the final VmHWM (a high-water mark).
    const pid = running.child?.pid;
    if (row.h1 && pid) row.h1 = { ...row.h1, rssMb: rss, hwmMb: memoryMb(pid).hwmMb };
    if (opts.profileDir && running.inspectPort) {
      log(`profiling an extra wrk -d${opts.duration}s run`);
      row.profiles = {
        h1: await profiled(
          running.inspectPort,
          opts.profileDir,
          `${target.name}-h1`,
          () => runWrk(tools.wrk!, running.h1Url, opts.duration),
        ),
      };
    }
    for (let i = 0; i < opts.repeat; i++) {
      log(`paced ${opts.rate} req/s for ${opts.duration}s (${i + 1}/${opts.repeat})`);
      const paced = await runPaced(running.h1Url, opts.rate, opts.duration);
      const best = row.paced as PacedResult | undefined;
      if (!best || paced.p99Ms < best.p99Ms) row.paced = paced;
    }
    if (!running.h2Url) row.h2 = { skipped: "n/a (no h2c)" };
    else if (!tools.h2load) row.h2 = { skipped: "skipped: h2load not installed" };
    else {
      await runH2load(tools.h2load, running.h2Url, Math.min(20_000, opts.h2Requests));
      for (let i = 0; i < opts.repeat; i++) {
        log(`h2load -n ${opts.h2Requests} -c 4 -m 10 (${i + 1}/${opts.repeat})`);
        const h2 = await h2run(running, tools.h2load, opts.h2Requests);
        const best = row.h2 as H2Measure | undefined;
        if (!best || h2.rps > best.rps) row.h2 = h2;
      }
      // The process's peak after every h2 run (a high-water mark: the HTTP/1.1 runs came first).
      if (pid) row.h2 = { ...(row.h2 as H2Measure), hwmMb: memoryMb(pid).hwmMb };
      if (opts.profileDir && running.inspectPort) {
        log("profiling an extra h2load run");
        const h2 = await profiled(
          running.inspectPort,
          opts.profileDir,
          `${target.name}-h2`,
          () => runH2load(tools.h2load!, running.h2Url!, opts.h2Requests),
        );
        row.profiles = { ...row.profiles, h2 };
      }
    }
  } catch (err) {
    row.status = `error: ${(err as Error).message.split("\n")[0]}`;
    log((err as Error).message);
  } finally {
    await running.stop();
  }
  return row;
}

/** Runs `load` with the V8 sampling profiler on; writes `<dir>/<name>.cpuprofile` and returns its path. */
async function profiled(
  inspectPort: number,
  dir: string,
  name: string,
  load: () => Promise<unknown>,
): Promise<string> {
  const profiler = await connectProfiler(inspectPort);
  try {
    await profiler.start();
    await load();
    const file = join(dir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(await profiler.stop()));
    return file;
  } finally {
    profiler.close();
  }
}

/** One saturating wrk run with the proxy's CPU time and memory read from /proc around it (interleaved.ts too). */
export async function saturate(
  running: RunningTarget,
  wrk: string,
  seconds: number,
  upstreamPid: number,
): Promise<H1Measure> {
  const pid = running.child?.pid;
  const routed0 = await running.routedRequests?.();
  const cpu0 = pid ? cpuMicros(pid) : 0;
  const up0 = cpuMicros(upstreamPid);
  const t0 = performance.now();
  let maxRss = 0;
  const sampler = setInterval(() => {
    if (pid) maxRss = Math.max(maxRss, memoryMb(pid).rssMb);
  }, 250);
  const w = await runWrk(wrk, running.h1Url, seconds).finally(() => clearInterval(sampler));
  const wallUs = (performance.now() - t0) * 1000;
  const cpu = pid ? cpuMicros(pid) - cpu0 : undefined;
  const upstreamCpu = cpuMicros(upstreamPid) - up0;
  const mem = pid ? memoryMb(pid) : undefined;
  const routed1 = await running.routedRequests?.();
  return {
    rps: w.rps,
    requests: w.requests,
    p50Ms: w.p50Ms,
    p99Ms: w.p99Ms,
    errors: w.non2xx + w.socketErrors,
    cpuUsPerReq: cpu === undefined ? undefined : cpu / w.requests,
    cpuPct: cpu === undefined ? undefined : (cpu / wallUs) * 100,
    upstreamCpuPct: (upstreamCpu / wallUs) * 100,
    rssMb: mem ? Math.max(maxRss, mem.rssMb) : undefined,
    hwmMb: mem?.hwmMb,
    routedRequests: routed0 === undefined || routed1 === undefined ? undefined : routed1 - routed0,
  };
}

export async function h2run(running: RunningTarget, h2load: string, requests: number): Promise<H2Measure> {
  const pid = running.child?.pid;
  const cpu0 = pid ? cpuMicros(pid) : 0;
  const t0 = performance.now();
  const h = await runH2load(h2load, running.h2Url!, requests);
  const cpu = pid ? cpuMicros(pid) - cpu0 : undefined;
  const wallUs = (performance.now() - t0) * 1000;
  return {
    rps: h.rps,
    succeeded: h.succeeded,
    failed: h.failed,
    cpuUsPerReq: cpu === undefined ? undefined : cpu / h.succeeded,
    cpuPct: cpu === undefined ? undefined : (cpu / wallUs) * 100,
  };
}
