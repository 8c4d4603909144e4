import { create, createRegistry, fromJson } from "@bufbuild/protobuf";
import type { JsonObject } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  ClusterSchema,
  LoadBalancingPolicy_PolicySchema,
} from "../../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { file_envoy_extensions_load_balancing_policies_least_request_v3_least_request } from "../../../../gen/envoy/extensions/load_balancing_policies/least_request/v3/least_request_pb.ts";
import { file_envoy_extensions_load_balancing_policies_maglev_v3_maglev } from "../../../../gen/envoy/extensions/load_balancing_policies/maglev/v3/maglev_pb.ts";
import { file_envoy_extensions_load_balancing_policies_random_v3_random } from "../../../../gen/envoy/extensions/load_balancing_policies/random/v3/random_pb.ts";
import { file_envoy_extensions_load_balancing_policies_ring_hash_v3_ring_hash } from "../../../../gen/envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash_pb.ts";
import { file_envoy_extensions_load_balancing_policies_round_robin_v3_round_robin } from "../../../../gen/envoy/extensions/load_balancing_policies/round_robin/v3/round_robin_pb.ts";
import { isWeftError } from "../../../../proxy/errors.ts";
import {
  createLoadBalancerPolicy,
  leastRequestPolicy,
  maglevPolicy,
  randomPolicy,
  ringHashPolicy,
  roundRobinPolicy,
} from "../../../../proxy/cluster/lb/index.ts";
import type { LoadBalancerConfig } from "../../../../proxy/cluster/lb/index.ts";
import { makeHosts, seededRandom } from "./lb-test-support.ts";

const registry = createRegistry(
  file_envoy_extensions_load_balancing_policies_round_robin_v3_round_robin,
  file_envoy_extensions_load_balancing_policies_least_request_v3_least_request,
  file_envoy_extensions_load_balancing_policies_random_v3_random,
  file_envoy_extensions_load_balancing_policies_ring_hash_v3_ring_hash,
  file_envoy_extensions_load_balancing_policies_maglev_v3_maglev,
);
const TYPE = "type.googleapis.com/envoy.extensions.load_balancing_policies";

const fromCluster = (json: JsonObject): LoadBalancerConfig =>
  createLoadBalancerPolicy(fromJson(ClusterSchema, { name: "backend", ...json }, { registry }));

function configError(json: JsonObject): string {
  try {
    fromCluster(json);
  } catch (err) {
    expect(isWeftError(err, "config")).toBe(true);
    return (err as Error).message;
  }
  throw new Error("expected a config error");
}

const typedPolicy = (name: string, config: JsonObject) => ({
  typed_extension_config: { name: `envoy.load_balancing_policies.${name}`, typed_config: config },
});

describe("createLoadBalancerPolicy: lb_policy", () => {
  it("maps the supported enum values (ROUND_ROBIN is the default)", () => {
    expect(fromCluster({})).toEqual({ policy: roundRobinPolicy, options: {} });
    expect(fromCluster({ lb_policy: "LEAST_REQUEST" })).toEqual({ policy: leastRequestPolicy, options: {} });
    expect(fromCluster({ lb_policy: "RANDOM" })).toEqual({ policy: randomPolicy, options: {} });
    expect(fromCluster({ lb_policy: "RING_HASH" })).toEqual({ policy: ringHashPolicy, options: {} });
    expect(fromCluster({ lb_policy: "MAGLEV" })).toEqual({ policy: maglevPolicy, options: {} });
  });

  it("reads ring_hash_lb_config, maglev_lb_config and least_request_lb_config", () => {
    expect(
      fromCluster({
        lb_policy: "RING_HASH",
        ring_hash_lb_config: {
          minimum_ring_size: "2048",
          maximum_ring_size: 4096,
          hash_function: "MURMUR_HASH_2",
        },
      }).options,
    ).toEqual({ minimumRingSize: 2048, maximumRingSize: 4096 });
    expect(fromCluster({ lb_policy: "MAGLEV", maglev_lb_config: { table_size: 251 } }).options).toEqual({
      tableSize: 251,
    });
    expect(
      fromCluster({ lb_policy: "LEAST_REQUEST", least_request_lb_config: { choice_count: 3 } }),
    ).toEqual({ policy: leastRequestPolicy, options: { choiceCount: 3 } });
  });

  it("applies active_request_bias to weighted least-request picks", () => {
    const hosts = makeHosts([1, 4]);
    hosts[1].activeRequests = 1; // bias 1 → 1 : 2, bias 2 → 1 : 1
    const shareOfLight = (bias: number) => {
      const { policy, options } = fromCluster({
        lb_policy: "LEAST_REQUEST",
        least_request_lb_config: { active_request_bias: { default_value: bias, runtime_key: "lr.bias" } },
      });
      const balancer = policy.create(hosts, { ...options, random: seededRandom(1) });
      let light = 0;
      for (let i = 0; i < 3000; i++) if (balancer.pick({}) === hosts[0]) light++;
      return light / 3000;
    };
    expect(shareOfLight(1)).toBeCloseTo(1 / 3, 2);
    expect(shareOfLight(2)).toBeCloseTo(1 / 2, 2);
  });

  it("rejects unsupported policies, naming lb_policy", () => {
    expect(configError({ lb_policy: "CLUSTER_PROVIDED" })).toMatch(
      /^lb_policy: CLUSTER_PROVIDED is not supported/,
    );
    expect(configError({ lb_policy: "LOAD_BALANCING_POLICY_CONFIG" })).toMatch(
      /^lb_policy: .*load_balancing_policy/,
    );
  });

  it("prefixes errors with the cluster's path when given", () => {
    const cluster = fromJson(ClusterSchema, { name: "backend", lb_policy: "CLUSTER_PROVIDED" });
    expect(() => createLoadBalancerPolicy(cluster, "static_resources.clusters[2]")).toThrow(
      /^static_resources\.clusters\[2\]\.lb_policy: CLUSTER_PROVIDED is not supported/,
    );
  });

  it("rejects invalid or mismatched settings, naming the field", () => {
    expect(configError({ lb_policy: "MAGLEV", maglev_lb_config: { table_size: 100 } })).toMatch(
      /^maglev_lb_config\.table_size: 100 must be a prime/,
    );
    expect(configError({ lb_policy: "MAGLEV", maglev_lb_config: { table_size: 5000101 } })).toMatch(
      /^maglev_lb_config\.table_size/,
    );
    expect(
      configError({
        lb_policy: "RING_HASH",
        ring_hash_lb_config: { minimum_ring_size: 4096, maximum_ring_size: 1024 },
      }),
    ).toMatch(/^ring_hash_lb_config\.minimum_ring_size: 4096 is larger than maximum_ring_size 1024/);
    expect(configError({ lb_policy: "RING_HASH", ring_hash_lb_config: { maximum_ring_size: 9000000 } }))
      .toMatch(
        /^ring_hash_lb_config\.maximum_ring_size/,
      );
    expect(configError({ lb_policy: "LEAST_REQUEST", least_request_lb_config: { choice_count: 1 } })).toMatch(
      /^least_request_lb_config\.choice_count/,
    );
    expect(
      configError({
        lb_policy: "LEAST_REQUEST",
        least_request_lb_config: { active_request_bias: { default_value: -1 } },
      }),
    ).toMatch(/^least_request_lb_config\.active_request_bias/);
    expect(
      configError({ lb_policy: "LEAST_REQUEST", least_request_lb_config: { slow_start_config: {} } }),
    ).toMatch(/^least_request_lb_config\.slow_start_config: slow start is not supported/);
    expect(configError({ lb_policy: "ROUND_ROBIN", ring_hash_lb_config: {} })).toMatch(
      /^ring_hash_lb_config: does not apply to lb_policy ROUND_ROBIN/,
    );
    expect(configError({ lb_policy: "RING_HASH", original_dst_lb_config: {} })).toMatch(
      /^original_dst_lb_config/,
    );
  });
});

describe("createLoadBalancerPolicy: load_balancing_policy (typed extensions)", () => {
  it("maps each supported typed config with its settings", () => {
    const one = (name: string, config: JsonObject) =>
      fromCluster({ load_balancing_policy: { policies: [typedPolicy(name, config)] } });
    expect(one("round_robin", { "@type": `${TYPE}.round_robin.v3.RoundRobin` })).toEqual({
      policy: roundRobinPolicy,
      options: {},
    });
    expect(one("random", { "@type": `${TYPE}.random.v3.Random` })).toEqual({
      policy: randomPolicy,
      options: {},
    });
    expect(one("least_request", { "@type": `${TYPE}.least_request.v3.LeastRequest`, choice_count: 4 }))
      .toEqual({
        policy: leastRequestPolicy,
        options: { choiceCount: 4 },
      });
    expect(one("ring_hash", { "@type": `${TYPE}.ring_hash.v3.RingHash`, minimum_ring_size: 512 })).toEqual({
      policy: ringHashPolicy,
      options: { minimumRingSize: 512 },
    });
    expect(one("maglev", { "@type": `${TYPE}.maglev.v3.Maglev`, table_size: 1021 })).toEqual({
      policy: maglevPolicy,
      options: { tableSize: 1021 },
    });
    const biased = one("least_request", {
      "@type": `${TYPE}.least_request.v3.LeastRequest`,
      active_request_bias: { default_value: 0.5, runtime_key: "k" },
    });
    expect(biased.policy.name).toBe("LEAST_REQUEST");
    expect(biased.policy).not.toBe(leastRequestPolicy);
  });

  it("supersedes lb_policy and takes the first supported entry", () => {
    const cluster = fromJson(
      ClusterSchema,
      {
        name: "backend",
        lb_policy: "CLUSTER_PROVIDED",
        load_balancing_policy: {
          policies: [
            typedPolicy("maglev", { "@type": `${TYPE}.maglev.v3.Maglev`, table_size: 251 }),
            typedPolicy("random", { "@type": `${TYPE}.random.v3.Random` }),
          ],
        },
      },
      { registry },
    );
    // An entry Weft does not know (not even in the registry) comes first and is skipped.
    cluster.loadBalancingPolicy!.policies.unshift(
      create(LoadBalancingPolicy_PolicySchema, {
        typedExtensionConfig: {
          name: "envoy.load_balancing_policies.client_side_weighted_round_robin",
          typedConfig: create(AnySchema, {
            typeUrl: `${TYPE}.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin`,
          }),
        },
      }),
    );
    expect(createLoadBalancerPolicy(cluster)).toEqual({ policy: maglevPolicy, options: { tableSize: 251 } });

    cluster.loadBalancingPolicy!.policies.splice(1, 1);
    expect(createLoadBalancerPolicy(cluster)).toEqual({ policy: randomPolicy, options: {} });

    cluster.loadBalancingPolicy!.policies.splice(1, 1);
    expect(() => createLoadBalancerPolicy(cluster)).toThrow(
      /^load_balancing_policy: no supported policy among \[envoy\.extensions\.load_balancing_policies\.client_side_weighted_round_robin/,
    );
  });

  it("rejects unsupported fields of a supported policy, naming the field", () => {
    const path = "load_balancing_policy.policies[0].typed_extension_config.typed_config";
    const error = (name: string, config: JsonObject) =>
      configError({ load_balancing_policy: { policies: [typedPolicy(name, config)] } });
    expect(error("round_robin", { "@type": `${TYPE}.round_robin.v3.RoundRobin`, slow_start_config: {} }))
      .toBe(
        `${path}.slow_start_config: slow start is not supported`,
      );
    expect(
      error("least_request", {
        "@type": `${TYPE}.least_request.v3.LeastRequest`,
        selection_method: "FULL_SCAN",
      }),
    ).toMatch(new RegExp(`^${path.replace(/[.[\]]/g, "\\$&")}\\.selection_method`));
    expect(error("ring_hash", { "@type": `${TYPE}.ring_hash.v3.RingHash`, use_hostname_for_hashing: true }))
      .toBe(
        `${path}.use_hostname_for_hashing: hashing by hostname is not supported`,
      );
    expect(error("maglev", { "@type": `${TYPE}.maglev.v3.Maglev`, table_size: 65536 })).toMatch(
      /table_size: 65536/,
    );
    expect(configError({ load_balancing_policy: { policies: [] } })).toMatch(
      /^load_balancing_policy: no supported/,
    );
  });
});
