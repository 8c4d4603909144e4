// Benchmark results: per-target rows, ratios against direct and the best Node peer, the project targets, markdown.
import type { PacedResult } from "./load-tools.ts";

export interface H1Measure {
  readonly rps: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** Proxy process CPU (user + sys) per completed request, µs. */
  readonly cpuUsPerReq?: number;
  /** Proxy process CPU use during the run, % of one core. */
  readonly cpuPct?: number;
  /** Upstream process CPU use during the run, % of one core (it shares core 0 with the load generator). */
  readonly upstreamCpuPct: number;
  readonly rssMb?: number;
  readonly hwmMb?: number;
  /** Requests the proxy counted on the benchmarked route's cluster during the run (Weft only; sanity check). */
  readonly routedRequests?: number;
}

export interface H2Measure {
  readonly rps: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cpuUsPerReq?: number;
  readonly cpuPct?: number;
  /** The proxy's VmHWM after this run (it ran the HTTP/1.1 load first). */
  readonly hwmMb?: number;
}

export interface Row {
  readonly target: string;
  readonly nodePeer: boolean;
  /** "ok", or why the row has no numbers ("skipped: wrk not installed", "error: …"). */
  status: string;
  h1?: H1Measure;
  paced?: PacedResult | { readonly skipped: string };
  h2?: H2Measure | { readonly skipped: string };
  ratios?: Ratios;
  /** CPU profiles (.cpuprofile paths) taken during an extra saturating run of each protocol. */
  profiles?: { h1?: string; h2?: string };
}

export interface Ratios {
  readonly rpsVsDirect?: number;
  readonly rpsVsBestPeer?: number;
  readonly cpuVsBestPeer?: number;
  readonly addedPacedP50Ms?: number;
  readonly h2VsDirect?: number;
}

export interface Goal {
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

const isPaced = (p: Row["paced"]): p is PacedResult => p !== undefined && !("skipped" in p);
const isH2 = (h: Row["h2"]): h is H2Measure => h !== undefined && !("skipped" in h);
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? a / b : undefined;

/** Fills `ratios` on every measured row. Best Node peer = highest req/s (for throughput), lowest CPU/req (for CPU). */
export function computeRatios(rows: Row[]): { bestPeerRps?: string; bestPeerCpu?: string } {
  const ok = rows.filter((r) => r.status === "ok" && r.h1);
  const direct = ok.find((r) => r.target === "direct");
  const peers = ok.filter((r) => r.nodePeer);
  const bestRps = peers.reduce<Row | undefined>((b, r) => !b || r.h1!.rps > b.h1!.rps ? r : b, undefined);
  const bestCpu = peers.filter((r) => r.h1!.cpuUsPerReq !== undefined)
    .reduce<Row | undefined>((b, r) => !b || r.h1!.cpuUsPerReq! < b.h1!.cpuUsPerReq! ? r : b, undefined);
  for (const r of ok) {
    const pacedP50 = isPaced(r.paced) ? r.paced.p50Ms : undefined;
    const directP50 = direct && isPaced(direct.paced) ? direct.paced.p50Ms : undefined;
    r.ratios = {
      rpsVsDirect: ratio(r.h1!.rps, direct?.h1?.rps),
      rpsVsBestPeer: ratio(r.h1!.rps, bestRps?.h1?.rps),
      cpuVsBestPeer: ratio(r.h1!.cpuUsPerReq, bestCpu?.h1?.cpuUsPerReq),
      addedPacedP50Ms: pacedP50 !== undefined && directP50 !== undefined ? pacedP50 - directP50 : undefined,
      h2VsDirect: ratio(
        isH2(r.h2) ? r.h2.rps : undefined,
        direct && isH2(direct.h2) ? direct.h2.rps : undefined,
      ),
    };
  }
  return { bestPeerRps: bestRps?.target, bestPeerCpu: bestCpu?.target };
}

/** The project's performance targets, evaluated on the Weft row. */
export function evaluateGoals(rows: readonly Row[]): Goal[] {
  const weft = rows.find((r) => r.target === "weft" && r.status === "ok");
  const q = weft?.ratios;
  const rss = weft?.h1?.hwmMb;
  const h2Rss = isH2(weft?.h2) ? weft.h2.hwmMb : undefined;
  const goal = (
    name: string,
    value: number | undefined,
    text: string,
    met: (v: number) => boolean,
  ): Goal => ({
    goal: name,
    measured: value === undefined ? "n/a" : text,
    met: value === undefined ? undefined : met(value),
  });
  return [
    goal(
      "HTTP/1.1 req/s per core ≥ 1.3× best Node peer",
      q?.rpsVsBestPeer,
      `${fx(q?.rpsVsBestPeer)}× measured (${fx(q?.cpuVsBestPeer && 1 / q.cpuVsBestPeer)}× by CPU/req)`,
      (v) => v >= 1.3,
    ),
    goal(
      "added p50 latency at ~1k rps ≤ 0.3 ms",
      q?.addedPacedP50Ms,
      `${fmt(q?.addedPacedP50Ms, 3)} ms`,
      (v) => v <= 0.3,
    ),
    goal(
      "RSS under load ≤ 80 MB (VmHWM)",
      rss === undefined ? undefined : Math.max(rss, h2Rss ?? 0),
      `${fmt(rss, 1)} MB under HTTP/1.1 load${
        h2Rss === undefined ? "" : `, ${fmt(h2Rss, 1)} MB after h2 load`
      }`,
      (v) => v <= 80,
    ),
    goal("h2load through Weft ≥ 0.5× direct", q?.h2VsDirect, `${fx(q?.h2VsDirect)}×`, (v) => v >= 0.5),
  ];
}

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return "–";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
const fx = (n: number | undefined) => fmt(n, 2);

export function markdownTable(rows: readonly Row[]): string {
  const head = [
    "target",
    "req/s",
    "vs direct",
    "vs best peer",
    "CPU µs/req",
    "req/s per core by CPU",
    "CPU vs best peer",
    "proxy CPU %",
    "p50 / p99 ms (sat.)",
    "p50 / p99 ms (1k rps)",
    "added p50 ms",
    "RSS / HWM MB",
    "h2 req/s",
    "h2 vs direct",
    "HWM after h2 MB",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows) {
    if (r.status !== "ok" || !r.h1) {
      lines.push(`| ${r.target} | ${r.status} |${" |".repeat(head.length - 2)}`);
      continue;
    }
    const h = r.h1;
    const q = r.ratios ?? {};
    const paced = isPaced(r.paced)
      ? `${fmt(r.paced.p50Ms, 3)} / ${fmt(r.paced.p99Ms, 3)}`
      : r.paced?.skipped ?? "–";
    const h2 = isH2(r.h2) ? fmt(r.h2.rps) : r.h2?.skipped ?? "–";
    lines.push(`| ${
      [
        r.target,
        fmt(h.rps),
        fx(q.rpsVsDirect),
        fx(q.rpsVsBestPeer),
        fmt(h.cpuUsPerReq, 1),
        fmt(h.cpuUsPerReq && 1e6 / h.cpuUsPerReq),
        fx(q.cpuVsBestPeer),
        fmt(h.cpuPct),
        `${fmt(h.p50Ms, 3)} / ${fmt(h.p99Ms, 3)}`,
        paced,
        r.target === "direct" ? "–" : fmt(q.addedPacedP50Ms, 3),
        h.rssMb === undefined ? "–" : `${fmt(h.rssMb, 1)} / ${fmt(h.hwmMb, 1)}`,
        h2,
        fx(q.h2VsDirect),
        isH2(r.h2) ? fmt(r.h2.hwmMb, 1) : "–",
      ].join(" | ")
    } |`);
  }
  return lines.join("\n");
}

export function markdownGoals(goals: readonly Goal[]): string {
  const lines = ["| target (Weft) | measured | status |", "|---|---|---|"];
  for (const g of goals) {
    lines.push(`| ${g.goal} | ${g.measured} | ${g.met === undefined ? "n/a" : g.met ? "met" : "not met"} |`);
  }
  return lines.join("\n");
}
