// Load generators: wrk (saturating HTTP/1.1), h2load (HTTP/2 h2c), and the paced Node client; output parsers.
import { fileURLToPath } from "node:url";
import { runPinned } from "./processes.ts";

export const LOAD_CORE = 0;

export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly socketErrors: number;
}

/** Parses a wrk duration such as `512.00us`, `1.20ms` or `2.00s` into milliseconds. */
export function parseWrkDuration(text: string): number {
  const m = text.match(/^([\d.]+)(us|ms|s|m)$/);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

export function parseWrk(out: string): WrkResult {
  const total = out.match(/(\d+) requests in ([\d.]+)(us|ms|s|m)/);
  const pct = (p: string) => parseWrkDuration(out.match(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m"))?.[1] ?? "");
  const socket = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  return {
    requests: Number(total?.[1] ?? Number.NaN),
    seconds: total ? parseWrkDuration(`${total[2]}${total[3]}`) / 1000 : Number.NaN,
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? Number.NaN),
    p50Ms: pct("50"),
    p99Ms: pct("99"),
    non2xx: Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

export async function runWrk(
  wrk: string,
  url: string,
  seconds: number,
  connections = 32,
): Promise<WrkResult> {
  const out = await runPinned(LOAD_CORE, wrk, ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", url]);
  return parseWrk(out);
}

export interface H2loadResult {
  readonly requests: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly rps: number;
  readonly meanMs: number;
}

export function parseH2load(out: string): H2loadResult {
  const counts = out.match(
    /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/,
  );
  const mean = out.match(/time for request:\s+\S+\s+\S+\s+(\S+)/);
  return {
    requests: Number(counts?.[1] ?? Number.NaN),
    succeeded: Number(counts?.[2] ?? Number.NaN),
    failed: Number(counts?.[3] ?? 0) + Number(counts?.[4] ?? 0),
    rps: Number(out.match(/finished in [\d.]+\w+, ([\d.]+) req\/s/)?.[1] ?? Number.NaN),
    meanMs: mean ? parseWrkDuration(mean[1]) : Number.NaN,
  };
}

/** h2c with prior knowledge (h2load's default for http:// URLs). */
export async function runH2load(h2load: string, url: string, requests: number): Promise<H2loadResult> {
  const out = await runPinned(LOAD_CORE, h2load, ["-n", String(requests), "-c", "4", "-m", "10", url]);
  return parseH2load(out);
}

export interface PacedResult {
  readonly requests: number;
  readonly ok: number;
  readonly errors: number;
  readonly achievedRps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly maxSchedulerLagMs: number;
}

const PACED_CLIENT = fileURLToPath(new URL("../paced-client.mjs", import.meta.url));

export async function runPaced(url: string, rps: number, seconds: number): Promise<PacedResult> {
  const out = await runPinned(LOAD_CORE, process.execPath, [PACED_CLIENT, url, String(rps), String(seconds)]);
  const line = out.trim().split("\n").findLast((l) => l.startsWith("{"));
  if (!line) throw new Error(`paced client printed no result:\n${out.slice(-2000)}`);
  return JSON.parse(line) as PacedResult;
}
