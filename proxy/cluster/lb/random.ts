// RANDOM: weighted random choice (uniform when all weights are equal).
import type { Host } from "../host.ts";
import { allWeightsEqual, emptyBalancer, isAcceptable, randomIndex, selectCandidates } from "./candidates.ts";
import type { LoadBalancer, LoadBalancerContext, LoadBalancerOptions, LoadBalancerPolicy } from "./types.ts";

export const randomPolicy: LoadBalancerPolicy = {
  name: "RANDOM",
  create(hosts: readonly Host[], options: LoadBalancerOptions): LoadBalancer {
    const { hosts: candidates, panic } = selectCandidates(hosts);
    if (candidates.length === 0) return emptyBalancer;
    const random = options.random;
    const n = candidates.length;
    // cumulative[i] = total weight of hosts 0..i; a uniform point in [0, total) lands on one host.
    const cumulative = new Float64Array(n);
    for (let i = 0, sum = 0; i < n; i++) cumulative[i] = sum += candidates[i].weight;
    const total = cumulative[n - 1];
    const uniform = allWeightsEqual(candidates);

    const choose = (): Host => {
      if (uniform) return candidates[randomIndex(random, n)];
      const point = random() * total;
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid] > point) hi = mid;
        else lo = mid + 1;
      }
      return candidates[lo];
    };

    /** Retry path: a weighted choice among the acceptable hosts only (two O(n) scans, no allocation). */
    const chooseAcceptable = (excluded: ReadonlySet<Host> | undefined): Host | undefined => {
      let acceptable = 0;
      for (const host of candidates) if (isAcceptable(host, panic, excluded)) acceptable += host.weight;
      if (acceptable === 0) return undefined;
      let point = random() * acceptable;
      let last: Host | undefined;
      for (const host of candidates) {
        if (!isAcceptable(host, panic, excluded)) continue;
        last = host;
        point -= host.weight;
        if (point < 0) return host;
      }
      return last;
    };

    return {
      pick(context: LoadBalancerContext): Host {
        const host = choose();
        if (isAcceptable(host, panic, context.excluded)) return host;
        return chooseAcceptable(context.excluded) ?? host;
      },
    };
  },
};
