import { describe, expect, it } from "vitest";
import type { Host } from "../../../../proxy/cluster/host.ts";
import { hash32 } from "../../../../proxy/cluster/lb/hash.ts";
import { buildRing, ringHashPolicy, ringLookup } from "../../../../proxy/cluster/lb/ring-hash.ts";
import type { LoadBalancerOptions } from "../../../../proxy/cluster/lb/types.ts";
import { countPicks, makeHosts, seededRandom } from "./lb-test-support.ts";

const keys = Array.from({ length: 20_000 }, (_, i) => hash32(`session-${i}`));

function owners(hosts: readonly Host[], options: Partial<LoadBalancerOptions> = {}): string[] {
  const balancer = ringHashPolicy.create(hosts, { random: seededRandom(1), ...options });
  return keys.map((hash) => balancer.pick({ hash })!.key);
}

describe("RING_HASH", () => {
  it("sizes the ring as Envoy does (lightest host gets a whole number of entries, min/max bounds)", () => {
    expect(buildRing(makeHosts([1, 1, 1]), 1024, 8 << 20).hashes.length).toBe(1026); // 342 each
    expect(buildRing(makeHosts([1, 1, 1, 1]), 1024, 8 << 20).hashes.length).toBe(1024);
    expect(buildRing(makeHosts([1, 3]), 1024, 8 << 20).hashes.length).toBe(1024);
    expect(buildRing(makeHosts([1, 1, 1]), 1024, 512).hashes.length).toBe(512);
    const ring = buildRing(makeHosts([1, 3]), 1024, 8 << 20);
    expect(ring.owners.filter((o) => o === 0).length).toBe(256);
    for (let i = 1; i < ring.hashes.length; i++) {
      expect(ring.hashes[i]).toBeGreaterThanOrEqual(ring.hashes[i - 1]);
    }
  });

  it("looks up the first entry at or after the hash, wrapping around", () => {
    const hashes = Uint32Array.from([10, 20, 30]);
    expect(ringLookup(hashes, 0)).toBe(0);
    expect(ringLookup(hashes, 10)).toBe(0);
    expect(ringLookup(hashes, 11)).toBe(1);
    expect(ringLookup(hashes, 30)).toBe(2);
    expect(ringLookup(hashes, 31)).toBe(0);
    expect(ringLookup(hashes, 0xffffffff)).toBe(0);
  });

  it("is sticky: the same hash lands on the same host, also in a rebuilt balancer", () => {
    const hosts = makeHosts([1, 1, 1, 1, 1]);
    const balancer = ringHashPolicy.create(hosts, { random: seededRandom(1) });
    const first = keys.map((hash) => balancer.pick({ hash }));
    expect(keys.map((hash) => balancer.pick({ hash }))).toEqual(first);
    expect(owners(hosts)).toEqual(first.map((h) => h!.key));
    expect(new Set(first).size).toBe(5);
  });

  it("gives hosts keys in proportion to weight (±10%)", () => {
    const hosts = makeHosts([1, 2, 3, 4]);
    const counts = new Map<string, number>();
    for (const key of owners(hosts, { minimumRingSize: 4096 })) counts.set(key, (counts.get(key) ?? 0) + 1);
    hosts.forEach((host, i) => {
      const expected = (keys.length * (i + 1)) / 10;
      expect(Math.abs(counts.get(host.key)! - expected) / expected).toBeLessThan(0.1);
    });
  });

  it("moves only the removed host's keys when the other hosts keep their ring entries", () => {
    // Weights 1:300:300:300 and 1:300:300 both give 2 entries per unit of weight (ceil(1024/901) = ceil(1024/601)).
    const hosts = makeHosts([1, 300, 300, 300]);
    const before = owners(hosts);
    const after = owners(hosts.slice(0, 3));
    let moved = 0;
    for (let i = 0; i < keys.length; i++) {
      if (before[i] === hosts[3].key) {
        expect(after[i]).not.toBe(hosts[3].key);
        moved++;
      } else {
        expect(after[i]).toBe(before[i]);
      }
    }
    expect(moved / keys.length).toBeCloseTo(0.33, 1);
  });

  it("with Envoy's sizing, removing one of N equal hosts disturbs fewer than 1/N of the other keys", () => {
    // Survivors gain ring entries (ring size stays ≥ minimum_ring_size), so a few of their keys shift
    // among themselves; the removed host's keys all move to survivors.
    for (const n of [4, 10]) {
      const hosts = makeHosts(Array(n).fill(1));
      const before = owners(hosts);
      const after = owners(hosts.slice(1));
      let survivorsMoved = 0;
      for (let i = 0; i < keys.length; i++) {
        expect(after[i]).not.toBe(hosts[0].key);
        if (before[i] !== hosts[0].key && after[i] !== before[i]) survivorsMoved++;
      }
      expect(survivorsMoved / keys.length).toBeLessThan(1 / n);
    }
  });

  it("picks a random point when the request has no hash", () => {
    const hosts = makeHosts([1, 1, 1]);
    const counts = countPicks(ringHashPolicy.create(hosts, { random: seededRandom(2) }), 9000);
    for (const host of hosts) expect(counts.get(host.key)! / 9000).toBeGreaterThan(0.25);
  });

  it("walks to the next ring entry's host when the owner is excluded, deterministically", () => {
    const hosts = makeHosts([1, 1, 1, 1]);
    const balancer = ringHashPolicy.create(hosts, { random: seededRandom(3) });
    const counts = new Map<string, number>();
    for (const hash of keys.slice(0, 4000)) {
      const owner = balancer.pick({ hash })!;
      const excluded = new Set([owner]);
      const retry = balancer.pick({ hash, excluded });
      expect(retry).not.toBe(owner);
      expect(balancer.pick({ hash, excluded })).toBe(retry);
      expect(balancer.pick({ hash, excluded: new Set(hosts) })).toBe(owner);
      counts.set(retry!.key, (counts.get(retry!.key) ?? 0) + 1);
    }
    for (const host of hosts) expect(counts.get(host.key)! / 4000).toBeGreaterThan(0.15);
  });
});
