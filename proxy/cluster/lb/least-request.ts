// LEAST_REQUEST: power of N choices on active requests; weighted hosts use weight / (active + 1)^bias.
import type { Host } from "../host.ts";
import { allWeightsEqual, emptyBalancer, isAcceptable, randomIndex, selectCandidates } from "./candidates.ts";
import { createEdfBalancer } from "./edf.ts";
import type { LoadBalancer, LoadBalancerContext, LoadBalancerOptions, LoadBalancerPolicy } from "./types.ts";

export interface LeastRequestConfig {
  /** Envoy's active_request_bias (≥ 0, default 1.0); only used when host weights differ. */
  readonly activeRequestBias?: number;
}

export const DEFAULT_CHOICE_COUNT = 2;

/** A LEAST_REQUEST policy with a given active-request bias (the plain `leastRequestPolicy` uses 1.0). */
export function createLeastRequestPolicy(config: LeastRequestConfig = {}): LoadBalancerPolicy {
  const bias = config.activeRequestBias ?? 1;
  const effectiveWeight = bias === 1
    ? (host: Host): number => host.weight / (Math.max(0, host.activeRequests) + 1)
    : bias === 0
    ? (host: Host): number => host.weight
    : (host: Host): number => host.weight / Math.pow(Math.max(0, host.activeRequests) + 1, bias);
  return {
    name: "LEAST_REQUEST",
    create(hosts: readonly Host[], options: LoadBalancerOptions): LoadBalancer {
      const { hosts: candidates, panic } = selectCandidates(hosts);
      if (candidates.length === 0) return emptyBalancer;
      if (!allWeightsEqual(candidates)) {
        return createEdfBalancer(candidates, panic, effectiveWeight, options.random);
      }
      return createChoices(candidates, panic, options.choiceCount ?? DEFAULT_CHOICE_COUNT, options.random);
    },
  };
}

export const leastRequestPolicy: LoadBalancerPolicy = createLeastRequestPolicy();

/** Equal weights: sample `choices` hosts (with replacement) and keep the one with fewest active requests. */
function createChoices(
  hosts: readonly Host[],
  panic: boolean,
  choices: number,
  random: () => number,
): LoadBalancer {
  const n = hosts.length;
  return {
    pick(context: LoadBalancerContext): Host {
      const excluded = context.excluded;
      if (n === 1) return hosts[0];
      let first: Host | undefined;
      let best: Host | undefined;
      for (let c = 0; c < choices; c++) {
        const sampled = hosts[randomIndex(random, n)];
        first ??= sampled;
        if (!isAcceptable(sampled, panic, excluded)) continue;
        if (best === undefined || sampled.activeRequests < best.activeRequests) best = sampled;
      }
      if (best !== undefined) return best;
      // Every sample was excluded (retry path): the least-loaded acceptable host, scanning from a random start.
      const start = randomIndex(random, n);
      for (let i = 0; i < n; i++) {
        const host = hosts[(start + i) % n];
        if (!isAcceptable(host, panic, excluded)) continue;
        if (best === undefined || host.activeRequests < best.activeRequests) best = host;
      }
      return best ?? first ?? hosts[0];
    },
  };
}
