// Noise-robust ratios: every target up at once, short wrk and h2load runs in rotation, medians of per-round ratios.
//
// `npm run bench` measures one target after another, minutes apart; on this VM the CPU time of the same work
// drifts by 30–50 % over minutes, so a ratio of two rows can be off by as much. Here each round runs every
// target back to back (in a rotated order), a ratio is taken within the round, and the median over the rounds
// is reported. Usage: node --import tsx bench/interleaved.ts [--only a,b,…] [--rounds 7] [--duration 3]
import { parseArgs } from "node:util";
import { runH2load, runWrk } from "./lib/load-tools.ts";
import { findTool, memoryMb } from "./lib/processes.ts";
import { h2run, saturate } from "./lib/measure.ts";
import { runBench, withUpstream } from "./lib/upstream.ts";
import { type BenchEnv, PROXY_CORE, type RunningTarget, TARGETS } from "./lib/targets.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "direct,weft,fast-proxy,floor,floor-lean" },
    rounds: { type: "string", default: "7" },
    duration: { type: "string", default: "3" },
    "h2-requests": { type: "string", default: "30000" },
    "no-h2": { type: "boolean", default: false },
  },
});
const names = values.only!.split(",").map((s) => s.trim());
const rounds = Number(values.rounds);
const seconds = Number(values.duration);
const h2Requests = Number(values["h2-requests"]);
const wrk = findTool("wrk", ["/usr/bin/wrk"]);
const h2load = values["no-h2"] ? undefined : findTool("h2load", ["/usr/bin/h2load"]);
if (!wrk) throw new Error("wrk is not installed");

interface Sample {
  h1CpuUs?: number;
  h1Rps: number;
  h2CpuUs?: number;
  h2Rps?: number;
}

const median = (xs: readonly number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
    ? s[(s.length - 1) / 2]
    : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One wrk run and (when the target serves h2c) one h2load run, measured as `npm run bench` measures them. */
async function sample(t: RunningTarget, upstreamPid: number): Promise<Sample> {
  const h1 = await saturate(t, wrk!, seconds, upstreamPid);
  if (!h2load || !t.h2Url) return { h1CpuUs: h1.cpuUsPerReq, h1Rps: h1.rps };
  const h2 = await h2run(t, h2load, h2Requests);
  return { h1CpuUs: h1.cpuUsPerReq, h1Rps: h1.rps, h2CpuUs: h2.cpuUsPerReq, h2Rps: h2.rps };
}

async function main() {
  await withUpstream(async ({ dir, h1Port, h2Port, pid }) => {
    const env: BenchEnv = {
      dir,
      upstreamPort: h1Port,
      upstreamH2Port: h2Port,
      tools: { nginx: findTool("nginx", ["/usr/sbin/nginx"]) },
      proxyCore: findTool("taskset", ["/usr/bin/taskset"]) ? PROXY_CORE : undefined,
    };
    const running = new Map<string, RunningTarget>();
    for (const t of TARGETS.filter((t) => names.includes(t.name) && !t.missing(env))) {
      running.set(t.name, await t.start(env));
      await runWrk(wrk!, running.get(t.name)!.h1Url, 2); // warm-up
      if (h2load && running.get(t.name)!.h2Url) await runH2load(h2load, running.get(t.name)!.h2Url!, 10_000);
    }
    const order = [...running.keys()];
    const samples = new Map<string, Sample[]>(order.map((n) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      const rotated = [...order.slice(r % order.length), ...order.slice(0, r % order.length)];
      for (const name of rotated) {
        const s = await sample(running.get(name)!, pid);
        samples.get(name)!.push(s);
        console.error(`interleaved: ${name}: ${JSON.stringify(s)}`);
      }
      console.error(`interleaved: round ${r + 1}/${rounds} done`);
    }
    const ref = (name: string, r: number) => samples.get(name)?.[r];
    const rows = order.map((name) => {
      const s = samples.get(name)!;
      const perRound = (f: (mine: Sample, r: number) => number | undefined) =>
        median(s.map((x, r) => f(x, r) ?? Number.NaN));
      const hwm = running.get(name)!.child ? memoryMb(running.get(name)!.child!.pid).hwmMb : undefined;
      return [
        name,
        perRound((x) => x.h1CpuUs).toFixed(1),
        perRound((x) => x.h1Rps).toFixed(0),
        perRound((x, r) => x.h1CpuUs && ref("fast-proxy", r)?.h1CpuUs! / x.h1CpuUs).toFixed(2),
        perRound((x) => x.h2CpuUs).toFixed(1),
        perRound((x) => x.h2Rps).toFixed(0),
        perRound((x, r) => x.h2Rps && x.h2Rps / ref("direct", r)?.h2Rps!).toFixed(2),
        hwm?.toFixed(1) ?? "–",
      ];
    });
    const head = [
      "target",
      "HTTP/1.1 CPU µs/req",
      "HTTP/1.1 req/s",
      "vs fast-proxy by CPU",
      "h2 CPU µs/req",
      "h2 req/s",
      "h2 vs direct",
      "VmHWM MB (all runs)",
    ];
    console.log(
      `\nInterleaved, ${rounds} rounds of wrk -c32 ${seconds}s${
        h2load ? ` + h2load -n ${h2Requests} -c4 -m10` : ""
      }; medians:\n`,
    );
    console.log(`| ${head.join(" | ")} |\n|${head.map(() => "---").join("|")}|`);
    for (const row of rows) console.log(`| ${row.map((c) => (c === "NaN" ? "–" : c)).join(" | ")} |`);
    for (const t of running.values()) await t.stop();
  });
}

runBench(main);
