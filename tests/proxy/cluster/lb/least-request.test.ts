import { describe, expect, it } from "vitest";
import { createLeastRequestPolicy, leastRequestPolicy } from "../../../../proxy/cluster/lb/least-request.ts";
import { countPicks, makeHosts, scriptedRandom, seededRandom } from "./lb-test-support.ts";

describe("LEAST_REQUEST, equal weights (power of two choices)", () => {
  it("never picks the loaded host when both samples differ", () => {
    const hosts = makeHosts([1, 1]);
    hosts[0].activeRequests = 10;
    // Samples: index floor(r * 2). [0, 1] and [1, 0] → the idle host; [0, 0] → the only host sampled.
    const pickWith = (values: number[]) =>
      leastRequestPolicy.create(hosts, { random: scriptedRandom(values) }).pick({});
    expect(pickWith([0.1, 0.9])).toBe(hosts[1]);
    expect(pickWith([0.9, 0.1])).toBe(hosts[1]);
    expect(pickWith([0.9, 0.9])).toBe(hosts[1]);
    expect(pickWith([0.1, 0.1])).toBe(hosts[0]);
  });

  it("picks a loaded host only when every sample hit it (1/N² of the time)", () => {
    for (const n of [2, 3, 5]) {
      const hosts = makeHosts(Array(n).fill(1));
      hosts[0].activeRequests = 10;
      const picks = 40_000;
      const counts = countPicks(leastRequestPolicy.create(hosts, { random: seededRandom(n) }), picks);
      const loadedShare = (counts.get(hosts[0].key) ?? 0) / picks;
      expect(loadedShare).toBeGreaterThan(1 / n ** 2 - 0.01);
      expect(loadedShare).toBeLessThan(1 / n ** 2 + 0.01);
      // Far below a fair share: at most (1/N)·(1/N) ≤ ~1/3 of 1/N for N ≥ 3.
      if (n >= 3) expect(loadedShare).toBeLessThan((1 / 3) * (1 / n) + 0.005);
    }
  });

  it("more choices favour the idle host more strongly (choice_count)", () => {
    const hosts = makeHosts([1, 1, 1, 1, 1]);
    for (const host of hosts) host.activeRequests = 5;
    hosts[2].activeRequests = 0;
    const share = (choiceCount: number) =>
      (countPicks(leastRequestPolicy.create(hosts, { random: seededRandom(9), choiceCount }), 20_000).get(
        hosts[2].key,
      ) ?? 0) / 20_000;
    expect(share(2)).toBeCloseTo(1 - 0.8 ** 2, 1); // 0.36
    expect(share(10)).toBeCloseTo(1 - 0.8 ** 10, 1); // 0.89
  });

  it("spreads evenly when every host has the same load", () => {
    const hosts = makeHosts([1, 1, 1, 1]);
    const counts = countPicks(leastRequestPolicy.create(hosts, { random: seededRandom(4) }), 40_000);
    for (const host of hosts) expect(Math.abs(counts.get(host.key)! - 10_000)).toBeLessThan(500);
  });

  it("reads active requests at pick time", () => {
    const hosts = makeHosts([1, 1]);
    const balancer = leastRequestPolicy.create(hosts, { random: scriptedRandom([0.1, 0.9]) });
    hosts[0].activeRequests = 3;
    expect(balancer.pick({})).toBe(hosts[1]);
    hosts[0].activeRequests = 0;
    hosts[1].activeRequests = 3;
    expect(balancer.pick({})).toBe(hosts[0]);
  });

  it("with the idle host excluded, picks the least-loaded acceptable host", () => {
    const hosts = makeHosts([1, 1, 1]);
    hosts[0].activeRequests = 9;
    hosts[1].activeRequests = 0;
    hosts[2].activeRequests = 4;
    const balancer = leastRequestPolicy.create(hosts, { random: seededRandom(2) });
    const counts = countPicks(balancer, 2000, { excluded: new Set([hosts[1]]) });
    expect(counts.has(hosts[1].key)).toBe(false);
    // Excluded samples are dropped: the busier host wins only when no sample hit the other (3 of 9 draws).
    expect(Math.abs(counts.get(hosts[2].key)! / 2000 - 2 / 3)).toBeLessThan(0.03);
    // Only the idle host left un-excluded and never sampled: the fallback scan still finds it.
    const onlyIdle = leastRequestPolicy.create(hosts, { random: scriptedRandom([0.1, 0.1, 0.5]) });
    expect(onlyIdle.pick({ excluded: new Set([hosts[0], hosts[2]]) })).toBe(hosts[1]);
  });
});

describe("LEAST_REQUEST, unequal weights (weight / (active + 1)^bias)", () => {
  const shareOf = (counts: Map<string, number>, key: string, total: number) => (counts.get(key) ?? 0) / total;

  it("follows static weights when idle", () => {
    const hosts = makeHosts([1, 2]);
    const counts = countPicks(leastRequestPolicy.create(hosts, { random: seededRandom(1) }), 3000);
    expect(Math.abs(counts.get(hosts[0].key)! - 1000)).toBeLessThanOrEqual(1);
  });

  it("divides each weight by (active + 1) with the default bias 1.0", () => {
    const hosts = makeHosts([1, 2]);
    hosts[1].activeRequests = 3; // effective weights 1 and 2/4 → the light host gets 2/3
    const counts = countPicks(leastRequestPolicy.create(hosts, { random: seededRandom(1) }), 3000);
    expect(shareOf(counts, hosts[0].key, 3000)).toBeCloseTo(2 / 3, 2);
  });

  it("reacts when load changes after the balancer was built", () => {
    const hosts = makeHosts([1, 3]);
    const balancer = leastRequestPolicy.create(hosts, { random: seededRandom(1) });
    expect(shareOf(countPicks(balancer, 4000), hosts[0].key, 4000)).toBeCloseTo(0.25, 2);
    hosts[1].activeRequests = 5; // effective 1 vs 0.5
    expect(shareOf(countPicks(balancer, 6000), hosts[0].key, 6000)).toBeCloseTo(2 / 3, 1);
  });

  it("uses the configured active_request_bias (0 = plain weights, 2 = squared load)", () => {
    const hosts = makeHosts([1, 4]);
    hosts[1].activeRequests = 1;
    const share = (bias: number) =>
      shareOf(
        countPicks(
          createLeastRequestPolicy({ activeRequestBias: bias }).create(hosts, { random: seededRandom(3) }),
          6000,
        ),
        hosts[0].key,
        6000,
      );
    expect(share(0)).toBeCloseTo(1 / 5, 2); // 1 : 4
    expect(share(1)).toBeCloseTo(1 / 3, 2); // 1 : 4/2
    expect(share(2)).toBeCloseTo(1 / 2, 2); // 1 : 4/4
  });
});
