// Behaviour every LB policy shares: empty sets, healthy-only candidates, panic mode, retry exclusions.
import { describe, expect, it } from "vitest";
import type { Host } from "../../../../proxy/cluster/host.ts";
import { loadBalancerPolicies } from "../../../../proxy/cluster/lb/index.ts";
import type { LoadBalancerPolicy } from "../../../../proxy/cluster/lb/types.ts";
import { countPicks, makeHosts, seededRandom } from "./lb-test-support.ts";

const weightSets = { equal: [1, 1, 1, 1], weighted: [1, 2, 3, 4] } as const;

function build(policy: LoadBalancerPolicy, hosts: readonly Host[], seed = 7) {
  return policy.create(hosts, { random: seededRandom(seed), minimumRingSize: 256, tableSize: 1021 });
}

/** Hashing policies get a different hash per pick so every host is reachable. */
const spread = (i: number) => ({ hash: Math.imul(i + 1, 0x9e3779b1) >>> 0 });

it("lists the five Envoy policies explicitly", () => {
  expect(loadBalancerPolicies.map((p) => p.name)).toEqual([
    "ROUND_ROBIN",
    "LEAST_REQUEST",
    "RANDOM",
    "RING_HASH",
    "MAGLEV",
  ]);
});

for (const policy of loadBalancerPolicies) {
  for (const [label, weights] of Object.entries(weightSets)) {
    describe(`${policy.name} (${label} weights)`, () => {
      it("returns undefined for an empty host set", () => {
        expect(build(policy, []).pick({})).toBeUndefined();
        expect(build(policy, []).pick({ hash: 42 })).toBeUndefined();
      });

      it("picks every healthy host and never an unhealthy one", () => {
        const hosts = makeHosts(weights);
        hosts[1].healthy = false;
        const counts = countPicks(build(policy, hosts), 2000, spread);
        expect(counts.has(hosts[1].key)).toBe(false);
        for (const host of [hosts[0], hosts[2], hosts[3]]) expect(counts.get(host.key)).toBeGreaterThan(0);
      });

      it("falls back to all hosts when none is healthy (panic mode)", () => {
        const hosts = makeHosts(weights);
        for (const host of hosts) host.healthy = false;
        const counts = countPicks(build(policy, hosts), 2000, spread);
        expect([...counts.keys()].sort()).toEqual(hosts.map((h) => h.key).sort());
      });

      it("skips a host marked unhealthy after the balancer was built", () => {
        const hosts = makeHosts(weights);
        const balancer = build(policy, hosts);
        hosts[3].healthy = false;
        const counts = countPicks(balancer, 2000, spread);
        expect(counts.has(hosts[3].key)).toBe(false);
        expect(counts.size).toBe(3);
      });

      it("avoids excluded hosts, and ignores the exclusion when nothing else is left", () => {
        const hosts = makeHosts(weights);
        const balancer = build(policy, hosts);
        const excluded = new Set([hosts[0], hosts[3]]);
        const counts = countPicks(balancer, 2000, (i) => ({ ...spread(i), excluded }));
        expect([...counts.keys()].sort()).toEqual([hosts[1].key, hosts[2].key]);
        const everyone = new Set(hosts);
        const fallback = countPicks(balancer, 200, (i) => ({ ...spread(i), excluded: everyone }));
        expect(fallback.has("")).toBe(false);
        expect(fallback.size).toBeGreaterThan(1);
      });

      it("returns the only host even when it is excluded", () => {
        const hosts = makeHosts([weights[0]]);
        const balancer = build(policy, hosts);
        expect(balancer.pick({ excluded: new Set(hosts), hash: 9 })).toBe(hosts[0]);
      });
    });
  }
}
