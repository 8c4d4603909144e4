// Test helpers for the LB policies: a seeded PRNG, host factories and pick counters.
import { createHost } from "../../../../proxy/cluster/host.ts";
import type { Host } from "../../../../proxy/cluster/host.ts";
import type { LoadBalancer, LoadBalancerContext } from "../../../../proxy/cluster/lb/types.ts";

/** A deterministic uniform [0, 1) source: a Weyl counter through MurmurHash3's 32-bit finalizer. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 0x1_0000_0000;
  };
}

/** A source that replays `values` in order (then repeats them). */
export function scriptedRandom(values: readonly number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

/** Hosts 10.0.0.1:8080, 10.0.0.2:8080, … with the given weights. */
export function makeHosts(weights: readonly number[]): Host[] {
  return weights.map((weight, i) => createHost(`10.0.0.${i + 1}`, 8080, weight));
}

/** Picks `times` times and counts the picks per host key (`undefined` picks count under ""). */
export function countPicks(
  balancer: LoadBalancer,
  times: number,
  context: LoadBalancerContext | ((i: number) => LoadBalancerContext) = {},
): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < times; i++) {
    const host = balancer.pick(typeof context === "function" ? context(i) : context);
    const key = host?.key ?? "";
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
