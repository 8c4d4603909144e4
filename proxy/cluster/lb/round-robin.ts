// ROUND_ROBIN: exact rotation for equal weights, smooth weighted rotation (EDF) otherwise.
import type { Host } from "../host.ts";
import { allWeightsEqual, emptyBalancer, isAcceptable, randomIndex, selectCandidates } from "./candidates.ts";
import { createEdfBalancer } from "./edf.ts";
import type { LoadBalancer, LoadBalancerContext, LoadBalancerOptions, LoadBalancerPolicy } from "./types.ts";

const staticWeight = (host: Host): number => host.weight;

export const roundRobinPolicy: LoadBalancerPolicy = {
  name: "ROUND_ROBIN",
  create(hosts: readonly Host[], options: LoadBalancerOptions): LoadBalancer {
    const { hosts: candidates, panic } = selectCandidates(hosts);
    if (candidates.length === 0) return emptyBalancer;
    if (!allWeightsEqual(candidates)) {
      return createEdfBalancer(candidates, panic, staticWeight, options.random);
    }
    return createRotation(candidates, panic, randomIndex(options.random, candidates.length));
  },
};

/** Equal weights: a plain rotation, started at a random offset so proxies don't move in lockstep. */
function createRotation(hosts: readonly Host[], panic: boolean, start: number): LoadBalancer {
  const n = hosts.length;
  let next = start;
  return {
    pick(context: LoadBalancerContext): Host {
      const first = next;
      next = first + 1 === n ? 0 : first + 1;
      if (isAcceptable(hosts[first], panic, context.excluded)) return hosts[first];
      for (let i = next, tries = 1; tries < n; tries++, i = i + 1 === n ? 0 : i + 1) {
        if (isAcceptable(hosts[i], panic, context.excluded)) {
          next = i + 1 === n ? 0 : i + 1;
          return hosts[i];
        }
      }
      return hosts[first];
    },
  };
}
