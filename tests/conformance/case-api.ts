// The runtime-neutral conformance API: cases are written once against a harness each runtime implements.
//
// Cases use only web-standard globals (fetch, URL, TextEncoder) and the core's public types, so the same
// file runs on Node (vitest), Deno (deno test) and workerd. No node:, Deno. or cloudflare: here.
import type { Proxy } from "../../mod.ts";

export interface ConformanceUpstream {
  /** The first of the behaviour upstream's ports (see upstream-server.ts). */
  readonly port: number;
  /** Three ports with the same behaviours, so clusters and endpoints can be told apart. */
  readonly ports: readonly number[];
  /** A loopback port nobody listens on (connect failures). */
  readonly closedPort: number;
}

export interface RunningProxy {
  /** http://host:port of the bootstrap's first listener. */
  readonly url: string;
  readonly proxy: Proxy;
  close(): Promise<void>;
}

export interface ConformanceHarness {
  /** The runtime's capability name: "node", "deno", "workers". */
  readonly runtime: string;
  startProxy(bootstrapYaml: string): Promise<RunningProxy>;
  readonly upstream: ConformanceUpstream;
}

export interface ConformanceCase {
  readonly name: string;
  readonly run: (h: ConformanceHarness) => Promise<void>;
  /** Runtimes that cannot run this case, with the reason (documented in docs/runtimes.md). */
  readonly skip?: Readonly<Record<string, string>>;
}

const registry: ConformanceCase[] = [];

/** Registers a case; runners turn each into one test (`it`, `Deno.test`, …). */
export function defineCase(
  name: string,
  run: (h: ConformanceHarness) => Promise<void>,
  options: { skip?: Readonly<Record<string, string>> } = {},
): void {
  if (registry.some((c) => c.name === name)) throw new Error(`duplicate conformance case "${name}"`);
  registry.push({ name, run, skip: options.skip });
}

export function allCases(): readonly ConformanceCase[] {
  return registry;
}

/** Starts a proxy for the duration of `fn` and always closes it. */
export async function withProxy<T>(
  h: ConformanceHarness,
  yaml: string,
  fn: (p: RunningProxy) => Promise<T>,
): Promise<T> {
  const p = await h.startProxy(yaml);
  try {
    return await fn(p);
  } finally {
    await p.close();
  }
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

/** fetch with redirects not followed; the body is always read (keeps connections reusable). */
export async function request(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, { redirect: "manual", ...init });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: <T>() => {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new AssertionError(`expected a JSON body, got ${res.status}: ${text.slice(0, 200)}`);
      }
    },
  };
}

/** What /echo reports about the request the upstream received. */
export interface Echo {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly port: number;
}

export class AssertionError extends Error {
  override readonly name = "AssertionError";
}

/** A tiny runtime-free assert: each failure says what was expected and what came. */
export interface Assert {
  ok(value: unknown, message?: string): asserts value;
  equal<T>(actual: T, expected: T, what?: string): void;
  deepEqual(actual: unknown, expected: unknown, what?: string): void;
  match(actual: string | null | undefined, pattern: RegExp, what?: string): void;
  between(actual: number, min: number, max: number, what?: string): void;
}

export const assert: Assert = {
  ok(value: unknown, message = "expected a truthy value"): asserts value {
    if (!value) throw new AssertionError(message);
  },
  equal<T>(actual: T, expected: T, what = "value"): void {
    if (!Object.is(actual, expected)) {
      throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
    }
  },
  deepEqual(actual: unknown, expected: unknown, what = "value"): void {
    if (show(actual) !== show(expected)) {
      throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
    }
  },
  match(actual: string | null | undefined, pattern: RegExp, what = "value"): void {
    if (actual == null || !pattern.test(actual)) {
      throw new AssertionError(`${what}: expected to match ${pattern}, got ${show(actual)}`);
    }
  },
  between(actual: number, min: number, max: number, what = "value"): void {
    if (!(actual >= min && actual <= max)) {
      throw new AssertionError(`${what}: expected between ${min} and ${max}, got ${actual}`);
    }
  },
};

function show(v: unknown): string {
  if (v === undefined) return "undefined";
  try {
    return JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? sortKeys(x) : x));
  } catch {
    return String(v);
  }
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/** A counter's value, e.g. `counter(p, "cluster.web.upstream_rq_retry")`. */
export function counter(p: RunningProxy, name: string): number {
  return p.proxy.stats.counter(name).value;
}
