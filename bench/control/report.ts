// The control-plane benchmark's report: a markdown table per phase, the targets, and the JSON written to results/.
import { percentile, type PhaseResult } from "./phase.ts";

export interface ChangeSummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly configP50?: number;
  readonly pushP50?: number;
}

export function summarizeChanges(phase: PhaseResult): ChangeSummary {
  const last = phase.changes.map((c) => c.lastAckMs).sort((a, b) => a - b);
  const median = (xs: (number | undefined)[]) => {
    const v = xs.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    return v.length === 0 ? undefined : percentile(v, 50);
  };
  return {
    p50: percentile(last, 50),
    p99: percentile(last, 99),
    max: last.at(-1) ?? Number.NaN,
    configP50: median(phase.changes.map((c) => c.configMs)),
    pushP50: median(phase.changes.map((c) => c.pushMs)),
  };
}

const ms = (v: number | undefined) =>
  v === undefined || Number.isNaN(v) ? "–" : !Number.isFinite(v) ? "timeout" : `${v.toFixed(0)}`;
const s = (v: number) => (v / 1000).toFixed(2);
const mb = (v: number) => `${v.toFixed(0)}`;

/** The warm-up edits' times, "a / b" (or "–"). */
const warmupsOf = (p: PhaseResult) => p.warmups.map((w) => ms(w.lastAckMs)).join(" / ") || "–";

/** Latency: first push and endpoint edits (wall clock, on a shared machine). */
export function markdownReport(phases: readonly PhaseResult[]): string {
  const lines = [
    "| ADS | quiet ms | proxies ok | startup s | connect s | first push s (p50 / p99 proxy) | warm-up changes ms | change p50 ms | change p99 ms | change max ms | → config ms | → pushed ms |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const p of phases) {
    const c = summarizeChanges(p);
    lines.push(
      `| ${p.mode} | ${p.quietMs} | ${p.connected}/${p.proxies} | ${s(p.startupMs)} | ${s(p.connectMs)} | ${
        s(p.firstPushMs)
      } (${s(p.firstPushPerProxyMs.p50)} / ${s(p.firstPushPerProxyMs.p99)}) | ${warmupsOf(p)} | ${
        ms(c.p50)
      } | ${ms(c.p99)} | ${ms(c.max)} | ${ms(c.configP50)} | ${ms(c.pushP50)} |`,
    );
  }
  return lines.join("\n");
}

/** Cost: CPU seconds (utime+stime) of both processes, and the control plane's memory. */
export function markdownCost(phases: readonly PhaseResult[]): string {
  const lines = [
    "| ADS | quiet ms | control CPU s: startup / connect / first push / per change | proxies' CPU s: phase / per change | first push MB sent | RSS now (peak) MB | live after GC: heap / array buffers MB | host steal s: first push / changes |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const p of phases) {
    const perChange = p.changes.length === 0 ? Number.NaN : p.cpu.changesS / p.changes.length;
    lines.push(
      `| ${p.mode} | ${p.quietMs} | ${p.cpu.startupS.toFixed(1)} / ${p.cpu.connectS.toFixed(1)} / ${
        p.cpu.firstPushS.toFixed(1)
      } / ${Number.isNaN(perChange) ? "–" : perChange.toFixed(2)} | ${p.clientCpuS.toFixed(1)} / ${
        Number.isNaN(perChange) ? "–" : (p.clientCpuChangesS / p.changes.length).toFixed(2)
      } | ${mb(p.firstPushResourceBytes / 1e6)} | ${mb(p.rssMb)} (${mb(p.hwmMb)}) | ${
        mb(p.live.heapUsed)
      } / ${mb(p.live.arrayBuffers)} | ${p.stealS.firstPush.toFixed(2)} / ${p.stealS.changes.toFixed(2)} |`,
    );
  }
  return lines.join("\n");
}

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean;
}

export function evaluateTargets(phases: readonly PhaseResult[]): Target[] {
  const targets: Target[] = [];
  const worstFirst = Math.max(...phases.map((p) => p.firstPushMs));
  targets.push({
    name: "first full push to every proxy",
    goal: "≤ 5 s",
    measured: `${s(worstFirst)} s (worst phase)`,
    met: worstFirst <= 5000,
  });
  for (const p of phases.filter((x) => x.mode === "delta")) {
    const c = summarizeChanges(p);
    targets.push({
      name: `endpoint change, delta, quiet ${p.quietMs} ms`,
      goal: "p99 ≤ 300 ms",
      measured: `p99 ${ms(c.p99)} ms` +
        (p.warmups.length > 0
          ? ` (after ${p.warmups.length} warm-up change${p.warmups.length === 1 ? "" : "s"}: ${
            warmupsOf(p)
          } ms)`
          : ""),
      met: c.p99 <= 300,
    });
  }
  const hwm = Math.max(...phases.map((p) => p.hwmMb));
  targets.push({
    name: "control-plane memory (VmHWM)",
    goal: "≤ 500 MB",
    measured: `${mb(hwm)} MB`,
    met: hwm <= 500,
  });
  return targets;
}

export function markdownTargets(targets: readonly Target[]): string {
  return [
    "| target | goal | measured | met |",
    "|---|---|---|---|",
    ...targets.map((t) => `| ${t.name} | ${t.goal} | ${t.measured} | ${t.met ? "yes" : "**no**"} |`),
  ].join("\n");
}
