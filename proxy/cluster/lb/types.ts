// The load-balancer contract: a policy builds a picker over a host set.
import type { Host } from "../host.ts";

export interface LoadBalancerContext {
  /** 32-bit unsigned hash from the route's hash policies (RING_HASH, MAGLEV); undefined = none. */
  readonly hash?: number;
  /** Hosts to avoid (retry host predicate "previous hosts"); a policy falls back to them if nothing else is left. */
  readonly excluded?: ReadonlySet<Host>;
}

export interface LoadBalancer {
  pick(context: LoadBalancerContext): Host | undefined;
}

/** A load-balancing policy: parsed once per cluster config, created per host-set change. */
export interface LoadBalancerPolicy {
  /** Envoy's name: ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV. */
  readonly name: string;
  create(hosts: readonly Host[], options: LoadBalancerOptions): LoadBalancer;
}

export interface LoadBalancerOptions {
  /** Uniform random in [0, 1). */
  readonly random: () => number;
  /** LEAST_REQUEST: choices (default 2). */
  readonly choiceCount?: number;
  /** RING_HASH: minimum/maximum ring size (defaults 1024 / 8M). */
  readonly minimumRingSize?: number;
  readonly maximumRingSize?: number;
  /** MAGLEV: table size, a prime (default 65537). */
  readonly tableSize?: number;
}
