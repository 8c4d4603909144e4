// Reads Cluster.load_balancing_policy: the first typed extension config Weft supports picks the policy.
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Any } from "@bufbuild/protobuf/wkt";
import type { LoadBalancingPolicy } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import {
  LeastRequest_SelectionMethod,
  LeastRequestSchema,
} from "../../../gen/envoy/extensions/load_balancing_policies/least_request/v3/least_request_pb.ts";
import { MaglevSchema } from "../../../gen/envoy/extensions/load_balancing_policies/maglev/v3/maglev_pb.ts";
import { RandomSchema } from "../../../gen/envoy/extensions/load_balancing_policies/random/v3/random_pb.ts";
import { RingHashSchema } from "../../../gen/envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash_pb.ts";
import { RoundRobinSchema } from "../../../gen/envoy/extensions/load_balancing_policies/round_robin/v3/round_robin_pb.ts";
import type { ConsistentHashingLbConfig } from "../../../gen/envoy/extensions/load_balancing_policies/common/v3/common_pb.ts";
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
import type { LoadBalancerPolicy } from "./types.ts";

export interface TypedPolicyChoice {
  readonly policy: LoadBalancerPolicy;
  readonly options: LoadBalancerSettings;
}

interface TypedPolicy<Desc extends DescMessage> {
  readonly schema: Desc;
  parse(config: MessageShape<Desc>, path: string): TypedPolicyChoice;
}

const typed = <Desc extends DescMessage>(policy: TypedPolicy<Desc>): TypedPolicy<DescMessage> =>
  policy as unknown as TypedPolicy<DescMessage>;

function rejectConsistentHashing(config: ConsistentHashingLbConfig | undefined, path: string): void {
  rejectIf(config?.useHostnameForHashing === true, `${path}.use_hostname_for_hashing`, "hashing by hostname");
  rejectIf(config?.hashBalanceFactor !== undefined, `${path}.hash_balance_factor`, "bounded-load hashing");
}

/** The typed configs Weft understands, by proto type name. */
const typedPolicies: readonly TypedPolicy<DescMessage>[] = [
  typed({
    schema: RoundRobinSchema,
    parse(config, path) {
      rejectIf(config.slowStartConfig !== undefined, `${path}.slow_start_config`, "slow start");
      rejectIf(
        config.localityLbConfig !== undefined,
        `${path}.locality_lb_config`,
        "locality load balancing",
      );
      return { policy: roundRobinPolicy, options: {} };
    },
  }),
  typed({
    schema: LeastRequestSchema,
    parse(config, path) {
      rejectIf(config.slowStartConfig !== undefined, `${path}.slow_start_config`, "slow start");
      rejectIf(
        config.localityLbConfig !== undefined,
        `${path}.locality_lb_config`,
        "locality load balancing",
      );
      rejectIf(config.enableFullScan === true, `${path}.enable_full_scan`, "full scan");
      rejectIf(
        config.selectionMethod !== LeastRequest_SelectionMethod.N_CHOICES,
        `${path}.selection_method`,
        "a selection method other than N_CHOICES",
      );
      const bias = activeRequestBias(config.activeRequestBias, path);
      const policy = bias === 1 ? leastRequestPolicy : createLeastRequestPolicy({ activeRequestBias: bias });
      return { policy, options: choiceCountSettings(config.choiceCount, path) };
    },
  }),
  typed({
    schema: RandomSchema,
    parse(config, path) {
      rejectIf(
        config.localityLbConfig !== undefined,
        `${path}.locality_lb_config`,
        "locality load balancing",
      );
      return { policy: randomPolicy, options: {} };
    },
  }),
  typed({
    schema: RingHashSchema,
    parse(config, path) {
      // hash_function only changes where hosts land on the ring; Weft always places them with MurmurHash3.
      rejectIf(config.useHostnameForHashing, `${path}.use_hostname_for_hashing`, "hashing by hostname");
      rejectIf(config.hashBalanceFactor !== undefined, `${path}.hash_balance_factor`, "bounded-load hashing");
      rejectConsistentHashing(config.consistentHashingLbConfig, `${path}.consistent_hashing_lb_config`);
      rejectIf(
        config.localityWeightedLbConfig !== undefined,
        `${path}.locality_weighted_lb_config`,
        "locality weighted load balancing",
      );
      return {
        policy: ringHashPolicy,
        options: ringHashSettings(config.minimumRingSize, config.maximumRingSize, path),
      };
    },
  }),
  typed({
    schema: MaglevSchema,
    parse(config, path) {
      rejectConsistentHashing(config.consistentHashingLbConfig, `${path}.consistent_hashing_lb_config`);
      rejectIf(
        config.localityWeightedLbConfig !== undefined,
        `${path}.locality_weighted_lb_config`,
        "locality weighted load balancing",
      );
      return { policy: maglevPolicy, options: maglevSettings(config.tableSize, path) };
    },
  }),
];

function typeName(any: Any): string {
  return any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
}

/** The first supported entry of `policies` wins (Envoy's rule); none supported is a config error. */
export function fromLoadBalancingPolicy(config: LoadBalancingPolicy): TypedPolicyChoice {
  const seen: string[] = [];
  for (const [index, entry] of config.policies.entries()) {
    const path = `load_balancing_policy.policies[${index}].typed_extension_config`;
    const any = entry.typedExtensionConfig?.typedConfig;
    if (any === undefined) throw lbConfigError(`${path}.typed_config`, "is required");
    const name = typeName(any);
    const known = typedPolicies.find((candidate) => candidate.schema.typeName === name);
    if (known === undefined) {
      seen.push(name);
      continue;
    }
    let message;
    try {
      message = anyUnpack(any, known.schema);
    } catch (cause) {
      throw lbConfigError(`${path}.typed_config`, `cannot decode ${name}: ${String(cause)}`);
    }
    if (message === undefined) throw lbConfigError(`${path}.typed_config`, `cannot decode ${name}`);
    return known.parse(message, `${path}.typed_config`);
  }
  throw lbConfigError(
    "load_balancing_policy",
    `no supported policy among [${seen.join(", ")}] (supported: ${
      typedPolicies.map((p) => p.schema.typeName).join(", ")
    })`,
  );
}
