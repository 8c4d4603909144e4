// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per file, hottest first.
import type { LocationMapper } from "./source-map.ts";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
    readonly columnNumber: number;
  };
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface HotSpot {
  readonly functionName: string;
  /** Repository-relative (or node:/absolute) file with 1-based line. */
  readonly location: string;
  readonly selfMs: number;
  readonly selfPct: number;
  /** The caller that accounts for most of this function's self time ("name location"). */
  readonly topCaller?: string;
}

export interface FileTime {
  readonly file: string;
  readonly selfMs: number;
  readonly selfPct: number;
}

export interface InclusiveTime {
  readonly functionName: string;
  readonly location: string;
  readonly totalMs: number;
  readonly totalPct: number;
}

export interface ProfileSummary {
  readonly hotSpots: HotSpot[];
  readonly files: FileTime[];
  /** The project's own functions (proxy/, adapters/, control/) by inclusive (self + callees) time. */
  readonly ownInclusive: InclusiveTime[];
  readonly busyMs: number;
}

interface Frame {
  readonly name: string;
  readonly location: string;
  readonly file: string;
  readonly key: string;
}

/**
 * Self time per (function, file, line) and per file, summed over all nodes; `(idle)` is excluded.
 * `.ts` positions are those of tsx's transformed code: `mapLocation` maps them to source lines.
 */
export function summarizeProfile(
  profile: CpuProfile,
  root: string,
  top = 15,
  mapLocation?: LocationMapper,
): ProfileSummary {
  const selfUs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    for (let i = 0; i < profile.samples.length; i++) {
      // The delta that follows a sample is the time spent in it (as DevTools attributes it).
      const dt = profile.timeDeltas[i + 1] ?? 0;
      selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + Math.max(0, dt));
    }
  } else {
    const total = profile.endTime - profile.startTime;
    const hits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
    for (const n of profile.nodes) selfUs.set(n.id, ((n.hitCount ?? 0) / hits) * total);
  }
  const frames = new Map<number, Frame>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const name = f.functionName || "(anonymous)";
    const file = f.url ? shortUrl(f.url, root) : "(native)";
    const line = f.url ? sourceLine(f, name, mapLocation) : "";
    const location = !f.url ? "(native)" : line.startsWith("(") ? `${file} ${line}` : `${file}:${line}`;
    frames.set(node.id, { name, location, file, key: `${name}@${location}` });
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  const self = new Map<string, { frame: Frame; us: number; callers: Map<string, number> }>();
  const byFile = new Map<string, number>();
  const inclusive = new Map<string, { frame: Frame; us: number }>();
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    const frame = frames.get(node.id)!;
    if (!us || frame.name === "(idle)") continue;
    busyUs += us;
    byFile.set(frame.file, (byFile.get(frame.file) ?? 0) + us);
    const entry = self.get(frame.key) ?? { frame, us: 0, callers: new Map<string, number>() };
    entry.us += us;
    const caller = parent.has(node.id) ? frames.get(parent.get(node.id)!) : undefined;
    if (caller) {
      entry.callers.set(
        `${caller.name} ${caller.location}`,
        (entry.callers.get(`${caller.name} ${caller.location}`) ?? 0) + us,
      );
    }
    self.set(frame.key, entry);
    // Inclusive time: credit each distinct own function on the stack once (recursion counted once).
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = frames.get(id)!;
      if (!OWN_CODE.test(f.file) || seen.has(f.key)) continue;
      seen.add(f.key);
      const inc = inclusive.get(f.key) ?? { frame: f, us: 0 };
      inc.us += us;
      inclusive.set(f.key, inc);
    }
  }
  const pct = (us: number) => (busyUs ? (us / busyUs) * 100 : 0);
  const hotSpots = [...self.values()].sort((a, b) => b.us - a.us).slice(0, top).map((e) => ({
    functionName: e.frame.name,
    location: e.frame.location,
    selfMs: e.us / 1000,
    selfPct: pct(e.us),
    topCaller: [...e.callers.entries()].sort((a, b) => b[1] - a[1])[0]?.[0],
  }));
  const files = [...byFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([file, us]) => ({
    file,
    selfMs: us / 1000,
    selfPct: pct(us),
  }));
  const ownInclusive = [...inclusive.values()].sort((a, b) => b.us - a.us).slice(0, top).map((e) => ({
    functionName: e.frame.name,
    location: e.frame.location,
    totalMs: e.us / 1000,
    totalPct: pct(e.us),
  }));
  return { hotSpots, files, ownInclusive, busyMs: busyUs / 1000 };
}

const OWN_CODE = /^(proxy|adapters|control)\//;

function sourceLine(
  f: ProfileNode["callFrame"],
  name: string,
  mapLocation: LocationMapper | undefined,
): string {
  if (!/\.[cm]?tsx?$/.test(f.url) || !f.url.startsWith("file://")) return String(f.lineNumber + 1);
  const path = decodeURIComponent(f.url.slice("file://".length));
  const line = mapLocation?.(path, f.lineNumber, f.columnNumber, name === "(anonymous)" ? "" : name);
  // esbuild's keepNames helper is injected code with no source line.
  if (line === undefined && name === "__name") return "(tsx keepNames helper)";
  return line === undefined ? "?" : String(line);
}

function shortUrl(url: string, root: string): string {
  let u = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
  if (u.startsWith(root)) u = u.slice(root.length);
  return u.replace(/^.*\/node_modules\//, "node_modules/");
}

export function markdownProfile(summary: ProfileSummary): string {
  const lines = [
    `Busy (non-idle) profile time: ${(summary.busyMs / 1000).toFixed(2)} s`,
    "",
    "| # | self % | self ms | function | location | main caller |",
    "|---|---|---|---|---|---|",
  ];
  summary.hotSpots.forEach((h, i) => {
    const caller = h.topCaller ? `\`${h.topCaller}\`` : "";
    lines.push(
      `| ${i + 1} | ${h.selfPct.toFixed(1)} | ${
        h.selfMs.toFixed(0)
      } | \`${h.functionName}\` | ${h.location} | ${caller} |`,
    );
  });
  lines.push("", "Self time by file:", "", "| # | self % | self ms | file |", "|---|---|---|---|");
  summary.files.forEach((f, i) => {
    lines.push(`| ${i + 1} | ${f.selfPct.toFixed(1)} | ${f.selfMs.toFixed(0)} | ${f.file} |`);
  });
  lines.push(
    "",
    "Weft's own functions by inclusive time (self + callees):",
    "",
    "| # | total % | total ms | function | location |",
    "|---|---|---|---|---|",
  );
  summary.ownInclusive.forEach((f, i) => {
    lines.push(
      `| ${i + 1} | ${f.totalPct.toFixed(1)} | ${
        f.totalMs.toFixed(0)
      } | \`${f.functionName}\` | ${f.location} |`,
    );
  });
  return lines.join("\n");
}
