// Paced latency client: fires GETs at a fixed rate over keep-alive connections and prints latency percentiles as JSON.
// Usage: node bench/paced-client.mjs <url> <rps> <seconds>. Latency = dispatch → last body byte (performance.now()).
// A 1 s warm-up at the same rate (not recorded) comes first, so JIT and connection setup stay out of the figures.
import { Pool } from "undici";
import { watchParent } from "./peers/watch-parent.mjs";

const [url, rpsArg, secondsArg] = process.argv.slice(2);
const rps = Number(rpsArg ?? 1000);
const seconds = Number(secondsArg ?? 10);
const target = new URL(url);
const pool = new Pool(target.origin, { connections: 16, pipelining: 1, keepAliveTimeout: 60_000 });
const path = target.pathname + target.search;
watchParent();

/** Sends `total` requests at `rps`; resolves with per-request latencies (NaN = failed) and counts. */
function pace(total) {
  const latencies = new Float64Array(total);
  const result = { latencies, ok: 0, errors: 0, maxLagMs: 0, seconds: 0 };
  let sent = 0;
  let done = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    const fire = () => {
      const i = sent++;
      const t0 = performance.now();
      pool.request({ path, method: "GET" }).then(async (res) => {
        await res.body.dump();
        latencies[i] = performance.now() - t0;
        if (res.statusCode === 200) result.ok++;
        else result.errors++;
      }, () => {
        latencies[i] = Number.NaN;
        result.errors++;
      }).finally(() => {
        if (++done === total) {
          result.seconds = (performance.now() - start) / 1000;
          resolve(result);
        }
      });
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rps) + 1);
      if (due - sent > 1) result.maxLagMs = Math.max(result.maxLagMs, ((due - sent) / rps) * 1000);
      while (sent < due) fire();
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

await pace(Math.round(rps * Math.min(1, seconds)));
const total = Math.round(rps * seconds);
const run = await pace(total);
const sorted = Array.from(run.latencies).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
const r = (x) => Math.round(x * 1000) / 1000;
console.log(JSON.stringify({
  requests: total,
  ok: run.ok,
  errors: run.errors,
  achievedRps: Math.round(total / run.seconds),
  p50Ms: r(pct(sorted, 50)),
  p90Ms: r(pct(sorted, 90)),
  p99Ms: r(pct(sorted, 99)),
  maxMs: r(sorted[sorted.length - 1] ?? 0),
  maxSchedulerLagMs: r(run.maxLagMs),
}));
await pool.close();
process.exit(0);
