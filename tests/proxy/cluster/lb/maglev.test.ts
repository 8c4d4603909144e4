import { describe, expect, it } from "vitest";
import { hash32 } from "../../../../proxy/cluster/lb/hash.ts";
import { buildMaglevTable, maglevPolicy } from "../../../../proxy/cluster/lb/maglev.ts";
import { countPicks, makeHosts, seededRandom } from "./lb-test-support.ts";

const slotsPerHost = (table: Int32Array, n: number) => {
  const counts = new Array<number>(n).fill(0);
  for (const owner of table) counts[owner]++;
  return counts;
};

describe("MAGLEV", () => {
  it("fills the default 65537-slot table evenly (equal weights differ by at most one slot)", () => {
    const hosts = makeHosts(Array(7).fill(1));
    const table = buildMaglevTable(hosts, 65537);
    expect(table.length).toBe(65537);
    const counts = slotsPerHost(table, 7);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(65537);
  });

  it("gives slots in proportion to weight", () => {
    const counts = slotsPerHost(buildMaglevTable(makeHosts([1, 2, 3]), 65537), 3);
    expect(counts[0] / 65537).toBeCloseTo(1 / 6, 3);
    expect(counts[1] / 65537).toBeCloseTo(2 / 6, 3);
    expect(counts[2] / 65537).toBeCloseTo(3 / 6, 3);
  });

  it("rejects a table size that is not a prime", () => {
    expect(() => buildMaglevTable(makeHosts([1]), 1000)).toThrow(/not a prime/);
  });

  it("looks up table[hash % size] and is sticky", () => {
    const hosts = makeHosts([1, 1, 1]);
    const table = buildMaglevTable(hosts, 251);
    const balancer = maglevPolicy.create(hosts, { random: seededRandom(1), tableSize: 251 });
    for (let hash = 0; hash < 2000; hash += 7) {
      expect(balancer.pick({ hash })).toBe(hosts[table[hash % 251]]);
      expect(balancer.pick({ hash: hash + 251 })).toBe(hosts[table[hash % 251]]);
    }
    expect(balancer.pick({ hash: 0xffffffff })).toBe(hosts[table[0xffffffff % 251]]);
  });

  it("moves about 1/N of the keys when one of N hosts is removed", () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => hash32(`session-${i}`));
    for (const n of [5, 10]) {
      const hosts = makeHosts(Array(n).fill(1));
      const before = maglevPolicy.create(hosts, { random: seededRandom(1) });
      const after = maglevPolicy.create(hosts.slice(0, n - 1), { random: seededRandom(1) });
      let moved = 0;
      let survivorsMoved = 0;
      for (const hash of keys) {
        const was = before.pick({ hash });
        const now = after.pick({ hash });
        if (was === now) continue;
        moved++;
        if (was !== hosts[n - 1]) survivorsMoved++;
      }
      expect(moved / keys.length).toBeLessThan(1 / n + 0.02);
      expect(survivorsMoved / keys.length).toBeLessThan(0.01);
    }
  });

  it("picks a random slot when the request has no hash", () => {
    const hosts = makeHosts([1, 1, 1]);
    const counts = countPicks(maglevPolicy.create(hosts, { random: seededRandom(2) }), 9000);
    for (const host of hosts) expect(counts.get(host.key)! / 9000).toBeGreaterThan(0.28);
  });

  it("rehashes when the owner is excluded: deterministic, never the excluded host, spread over the rest", () => {
    const hosts = makeHosts([1, 1, 1, 1]);
    const balancer = maglevPolicy.create(hosts, { random: seededRandom(3) });
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const hash = hash32(`k${i}`);
      const owner = balancer.pick({ hash })!;
      const excluded = new Set([owner]);
      const retry = balancer.pick({ hash, excluded });
      expect(retry).not.toBe(owner);
      expect(balancer.pick({ hash, excluded })).toBe(retry);
      expect(balancer.pick({ hash, excluded: new Set(hosts) })).toBe(owner);
      counts.set(retry!.key, (counts.get(retry!.key) ?? 0) + 1);
    }
    for (const host of hosts) expect(counts.get(host.key)! / 4000).toBeGreaterThan(0.2);
  });
});
