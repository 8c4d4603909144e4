// MAGLEV: Google's Maglev lookup table (weighted as Envoy does); a pick is table[hash % size].
import type { Host } from "../host.ts";
import { emptyBalancer, hasAcceptable, isAcceptable, randomHash, selectCandidates } from "./candidates.ts";
import { hash32 } from "./hash.ts";
import type { LoadBalancer, LoadBalancerContext, LoadBalancerOptions, LoadBalancerPolicy } from "./types.ts";

export const DEFAULT_TABLE_SIZE = 65537;
export const MAXIMUM_TABLE_SIZE = 5000011;
/** Rehash attempts on the retry path before scanning the table for an acceptable host. */
const REHASH_ATTEMPTS = 16;

/**
 * Fills a table of `size` (a prime) slots with candidate indices. Each host walks its own permutation
 * (offset + j·skip) mod size, from two hashes of its key; in every round a host claims its next free slot
 * once its accumulated weight reaches the largest weight, so slots end up proportional to weight and
 * equal weights differ by at most one slot.
 */
export function buildMaglevTable(hosts: readonly Host[], size: number): Int32Array {
  if (!isPrime(size)) throw new RangeError(`maglev table size ${size} is not a prime`);
  const n = hosts.length;
  const table = new Int32Array(size).fill(-1);
  const next = new Float64Array(n);
  const skip = new Float64Array(n);
  const credit = new Float64Array(n);
  let heaviest = 0;
  for (let i = 0; i < n; i++) {
    next[i] = hash32(hosts[i].key, 0) % size;
    skip[i] = (hash32(hosts[i].key, 1) % (size - 1)) + 1;
    heaviest = Math.max(heaviest, hosts[i].weight);
  }
  for (let filled = 0; filled < size;) {
    for (let i = 0; i < n && filled < size; i++) {
      credit[i] += hosts[i].weight;
      if (credit[i] < heaviest) continue;
      credit[i] -= heaviest;
      let slot = next[i];
      while (table[slot] >= 0) slot = (slot + skip[i]) % size;
      table[slot] = i;
      next[i] = (slot + skip[i]) % size;
      filled++;
    }
  }
  return table;
}

export function isPrime(value: number): boolean {
  if (!Number.isInteger(value) || value < 2) return false;
  for (let d = 2; d * d <= value; d++) if (value % d === 0) return false;
  return true;
}

/** A cheap integer mix (MurmurHash3's finalizer) used to rehash on the retry path. */
function rehash(hash: number, attempt: number): number {
  let h = (hash + Math.imul(attempt, 0x9e3779b9)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export const maglevPolicy: LoadBalancerPolicy = {
  name: "MAGLEV",
  create(hosts: readonly Host[], options: LoadBalancerOptions): LoadBalancer {
    const { hosts: candidates, panic } = selectCandidates(hosts);
    if (candidates.length === 0) return emptyBalancer;
    const size = options.tableSize ?? DEFAULT_TABLE_SIZE;
    const table = buildMaglevTable(candidates, size);
    const random = options.random;
    return {
      pick(context: LoadBalancerContext): Host {
        const hash = context.hash === undefined ? randomHash(random) : context.hash >>> 0;
        const host = candidates[table[hash % size]];
        const excluded = context.excluded;
        if (isAcceptable(host, panic, excluded) || !hasAcceptable(candidates, panic, excluded)) return host;
        // Retry path: rehash a few times, then scan forward from the last slot tried.
        let slot = 0;
        for (let attempt = 1; attempt <= REHASH_ATTEMPTS; attempt++) {
          slot = rehash(hash, attempt) % size;
          if (isAcceptable(candidates[table[slot]], panic, excluded)) return candidates[table[slot]];
        }
        for (let scanned = 1; scanned < size; scanned++) {
          slot = slot + 1 === size ? 0 : slot + 1;
          if (isAcceptable(candidates[table[slot]], panic, excluded)) return candidates[table[slot]];
        }
        return host;
      },
    };
  },
};
