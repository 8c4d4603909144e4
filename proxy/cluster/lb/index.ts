// The LB policies Weft supports, and the mapping from an Envoy Cluster's LB settings to one of them.
import type { Cluster } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { Cluster_LbPolicy } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { isWeftError, WeftError } from "../../errors.ts";
import { createLeastRequestPolicy, leastRequestPolicy } from "./least-request.ts";
import { maglevPolicy } from "./maglev.ts";
import { randomPolicy } from "./random.ts";
import { ringHashPolicy } from "./ring-hash.ts";
import { roundRobinPolicy } from "./round-robin.ts";
import {
  activeRequestBias,
  choiceCountSettings,
  lbConfigError,
  maglevSettings,
  rejectIf,
  ringHashSettings,
} from "./settings.ts";
import type { LoadBalancerSettings } from "./settings.ts";
import { fromLoadBalancingPolicy } from "./typed-policies.ts";
import type { LoadBalancerPolicy } from "./types.ts";

export {
  createLeastRequestPolicy,
  leastRequestPolicy,
  maglevPolicy,
  randomPolicy,
  ringHashPolicy,
  roundRobinPolicy,
};
export type { LoadBalancerSettings };

/** Every policy, by Envoy name; listed here explicitly (no registration side effects). */
export const loadBalancerPolicies: readonly LoadBalancerPolicy[] = [
  roundRobinPolicy,
  leastRequestPolicy,
  randomPolicy,
  ringHashPolicy,
  maglevPolicy,
];

/** A cluster's LB choice: build a balancer with `policy.create(hosts, { ...options, random })`. */
export interface LoadBalancerConfig {
  readonly policy: LoadBalancerPolicy;
  readonly options: LoadBalancerSettings;
}

const lbConfigField: Record<string, string> = {
  ringHashLbConfig: "ring_hash_lb_config",
  maglevLbConfig: "maglev_lb_config",
  originalDstLbConfig: "original_dst_lb_config",
  leastRequestLbConfig: "least_request_lb_config",
  roundRobinLbConfig: "round_robin_lb_config",
};

/**
 * Maps a Cluster to its LB policy: `load_balancing_policy` (when set, it supersedes `lb_policy`, as in
 * Envoy), else `lb_policy` with its `*_lb_config`. Anything unsupported throws WeftError("config") whose
 * message starts with the offending field (prefixed with `field`, the cluster's own path, when given).
 * `common_lb_config` is left to the caller.
 */
export function createLoadBalancerPolicy(cluster: Cluster, field?: string): LoadBalancerConfig {
  try {
    return fromCluster(cluster);
  } catch (err) {
    if (field === undefined || !isWeftError(err, "config")) throw err;
    throw new WeftError("config", `${field}.${err.message}`, { cause: err });
  }
}

function fromCluster(cluster: Cluster): LoadBalancerConfig {
  if (cluster.loadBalancingPolicy !== undefined) return fromLoadBalancingPolicy(cluster.loadBalancingPolicy);
  const lbConfig = cluster.lbConfig;
  const expected: Partial<Record<Cluster_LbPolicy, string>> = {
    [Cluster_LbPolicy.ROUND_ROBIN]: "roundRobinLbConfig",
    [Cluster_LbPolicy.LEAST_REQUEST]: "leastRequestLbConfig",
    [Cluster_LbPolicy.RING_HASH]: "ringHashLbConfig",
    [Cluster_LbPolicy.MAGLEV]: "maglevLbConfig",
  };
  if (lbConfig.case !== undefined && expected[cluster.lbPolicy] !== lbConfig.case) {
    const name = Cluster_LbPolicy[cluster.lbPolicy] ?? String(cluster.lbPolicy);
    throw lbConfigError(lbConfigField[lbConfig.case], `does not apply to lb_policy ${name}`);
  }
  switch (cluster.lbPolicy) {
    case Cluster_LbPolicy.ROUND_ROBIN: {
      const config = lbConfig.case === "roundRobinLbConfig" ? lbConfig.value : undefined;
      rejectIf(
        config?.slowStartConfig !== undefined,
        "round_robin_lb_config.slow_start_config",
        "slow start",
      );
      return { policy: roundRobinPolicy, options: {} };
    }
    case Cluster_LbPolicy.LEAST_REQUEST: {
      const config = lbConfig.case === "leastRequestLbConfig" ? lbConfig.value : undefined;
      const path = "least_request_lb_config";
      rejectIf(config?.slowStartConfig !== undefined, `${path}.slow_start_config`, "slow start");
      const bias = activeRequestBias(config?.activeRequestBias, path);
      const policy = bias === 1 ? leastRequestPolicy : createLeastRequestPolicy({ activeRequestBias: bias });
      return { policy, options: choiceCountSettings(config?.choiceCount, path) };
    }
    case Cluster_LbPolicy.RANDOM:
      return { policy: randomPolicy, options: {} };
    case Cluster_LbPolicy.RING_HASH: {
      // hash_function only changes where hosts land on the ring; Weft always places them with MurmurHash3.
      const config = lbConfig.case === "ringHashLbConfig" ? lbConfig.value : undefined;
      return {
        policy: ringHashPolicy,
        options: ringHashSettings(config?.minimumRingSize, config?.maximumRingSize, "ring_hash_lb_config"),
      };
    }
    case Cluster_LbPolicy.MAGLEV: {
      const config = lbConfig.case === "maglevLbConfig" ? lbConfig.value : undefined;
      return { policy: maglevPolicy, options: maglevSettings(config?.tableSize, "maglev_lb_config") };
    }
    case Cluster_LbPolicy.LOAD_BALANCING_POLICY_CONFIG:
      throw lbConfigError("lb_policy", "LOAD_BALANCING_POLICY_CONFIG needs load_balancing_policy to be set");
    default: {
      const name = Cluster_LbPolicy[cluster.lbPolicy] ?? String(cluster.lbPolicy);
      throw lbConfigError(
        "lb_policy",
        `${name} is not supported (supported: ${loadBalancerPolicies.map((p) => p.name).join(", ")})`,
      );
    }
  }
}
