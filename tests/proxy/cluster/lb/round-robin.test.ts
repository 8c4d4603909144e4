import { describe, expect, it } from "vitest";
import { roundRobinPolicy } from "../../../../proxy/cluster/lb/round-robin.ts";
import { countPicks, makeHosts, seededRandom } from "./lb-test-support.ts";

const keysOf = (picks: readonly ({ key: string } | undefined)[]) => picks.map((h) => h?.key);

describe("ROUND_ROBIN", () => {
  it("rotates equal-weight hosts exactly", () => {
    const hosts = makeHosts([1, 1, 1]);
    const balancer = roundRobinPolicy.create(hosts, { random: seededRandom(1) });
    const picks = keysOf(Array.from({ length: 30 }, () => balancer.pick({})));
    for (let i = 0; i + 3 <= picks.length; i++) {
      expect(new Set(picks.slice(i, i + 3)).size).toBe(3);
      if (i + 3 < picks.length) expect(picks[i + 3]).toBe(picks[i]);
    }
  });

  it("starts at a random offset so proxies don't move in lockstep", () => {
    const hosts = makeHosts([1, 1, 1, 1]);
    const firsts = new Set<string | undefined>();
    for (let seed = 0; seed < 40; seed++) {
      firsts.add(roundRobinPolicy.create(hosts, { random: seededRandom(seed) }).pick({})?.key);
    }
    expect(firsts.size).toBe(4);
  });

  it("interleaves weights 1:3 smoothly and exactly", () => {
    const hosts = makeHosts([1, 3]);
    for (const seed of [1, 2, 3, 4]) {
      const balancer = roundRobinPolicy.create(hosts, { random: seededRandom(seed) });
      const picks = keysOf(Array.from({ length: 4000 }, () => balancer.pick({})));
      expect(picks.filter((k) => k === hosts[0].key).length).toBe(1000);
      expect(picks.filter((k) => k === hosts[1].key).length).toBe(3000);
      // Smooth: every window of 4 consecutive picks holds the light host exactly once.
      for (let i = 0; i + 4 <= picks.length; i++) {
        expect(picks.slice(i, i + 4).filter((k) => k === hosts[0].key).length).toBe(1);
      }
    }
  });

  it("honours uneven weights over a long run (2:3:5 and large weights)", () => {
    const hosts = makeHosts([2, 3, 5]);
    const counts = countPicks(roundRobinPolicy.create(hosts, { random: seededRandom(5) }), 10_000);
    expect(counts.get(hosts[0].key)).toBeCloseTo(2000, -1);
    expect(Math.abs(counts.get(hosts[0].key)! - 2000)).toBeLessThanOrEqual(1);
    expect(Math.abs(counts.get(hosts[1].key)! - 3000)).toBeLessThanOrEqual(1);
    expect(Math.abs(counts.get(hosts[2].key)! - 5000)).toBeLessThanOrEqual(1);

    const big = makeHosts([100_000, 300_000]);
    const bigCounts = countPicks(roundRobinPolicy.create(big, { random: seededRandom(5) }), 400_000);
    expect(Math.abs(bigCounts.get(big[0].key)! - 100_000)).toBeLessThanOrEqual(1);
  });

  it("with a weighted host excluded, shares its turns among the others by weight", () => {
    const hosts = makeHosts([1, 1, 4]);
    const balancer = roundRobinPolicy.create(hosts, { random: seededRandom(3) });
    const counts = countPicks(balancer, 3000, { excluded: new Set([hosts[2]]) });
    expect(counts.has(hosts[2].key)).toBe(false);
    expect(Math.abs(counts.get(hosts[0].key)! - 1500)).toBeLessThanOrEqual(1);
    // The exclusion was temporary: afterwards the 1:1:4 cycle continues.
    const after = countPicks(balancer, 6000);
    expect(after.get(hosts[2].key)).toBeGreaterThanOrEqual(3990);
  });

  it("skips an excluded host in the rotation without losing the order", () => {
    const hosts = makeHosts([1, 1, 1]);
    const balancer = roundRobinPolicy.create(hosts, { random: () => 0 });
    expect(balancer.pick({})).toBe(hosts[0]);
    expect(balancer.pick({ excluded: new Set([hosts[1]]) })).toBe(hosts[2]);
    expect(balancer.pick({})).toBe(hosts[0]);
  });
});
