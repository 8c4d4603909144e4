import { describe, expect, it } from "vitest";
import { randomPolicy } from "../../../../proxy/cluster/lb/random.ts";
import { countPicks, makeHosts, seededRandom } from "./lb-test-support.ts";

describe("RANDOM", () => {
  it("picks equal-weight hosts uniformly", () => {
    const hosts = makeHosts([1, 1, 1, 1]);
    const counts = countPicks(randomPolicy.create(hosts, { random: seededRandom(11) }), 40_000);
    for (const host of hosts) expect(Math.abs(counts.get(host.key)! - 10_000)).toBeLessThan(400);
  });

  it("picks in proportion to weight", () => {
    const hosts = makeHosts([1, 2, 7]);
    const counts = countPicks(randomPolicy.create(hosts, { random: seededRandom(12) }), 50_000);
    expect(counts.get(hosts[0].key)! / 50_000).toBeCloseTo(0.1, 1);
    expect(Math.abs(counts.get(hosts[0].key)! / 50_000 - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(counts.get(hosts[1].key)! / 50_000 - 0.2)).toBeLessThan(0.01);
    expect(Math.abs(counts.get(hosts[2].key)! / 50_000 - 0.7)).toBeLessThan(0.01);
  });

  it("maps the random source onto cumulative weights", () => {
    const hosts = makeHosts([1, 3]);
    const at = (r: number) => randomPolicy.create(hosts, { random: () => r }).pick({});
    expect(at(0)).toBe(hosts[0]);
    expect(at(0.2499)).toBe(hosts[0]);
    expect(at(0.25)).toBe(hosts[1]);
    expect(at(0.9999)).toBe(hosts[1]);
  });

  it("with the heavy host excluded, keeps the others' proportions", () => {
    const hosts = makeHosts([1, 2, 7]);
    const counts = countPicks(randomPolicy.create(hosts, { random: seededRandom(13) }), 30_000, {
      excluded: new Set([hosts[2]]),
    });
    expect(counts.has(hosts[2].key)).toBe(false);
    expect(Math.abs(counts.get(hosts[0].key)! / 30_000 - 1 / 3)).toBeLessThan(0.015);
  });
});
