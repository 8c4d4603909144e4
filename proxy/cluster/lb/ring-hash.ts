// RING_HASH: a Ketama-style consistent-hash ring; entries per host proportional to its weight.
import type { Host } from "../host.ts";
import { emptyBalancer, hasAcceptable, isAcceptable, randomHash, selectCandidates } from "./candidates.ts";
import { hash32 } from "./hash.ts";
import type { LoadBalancer, LoadBalancerContext, LoadBalancerOptions, LoadBalancerPolicy } from "./types.ts";

export const DEFAULT_MINIMUM_RING_SIZE = 1024;
export const MAXIMUM_RING_SIZE = 8 * 1024 * 1024;
/** Ring entries are sorted as one float: hash * HOST_SLOTS + host index (exact below 2^53). */
const HOST_SLOTS = 0x20_0000;

export interface Ring {
  /** Entry hashes, ascending. */
  readonly hashes: Uint32Array;
  /** Candidate index owning each entry. */
  readonly owners: Uint32Array;
}

/**
 * Envoy's sizing: scale so the lightest host gets a whole number of entries and the ring holds at least
 * `minimumSize` entries, capped at `maximumSize`; host i gets ~scale·wᵢ/Σw entries hashed as `${key}_${n}`.
 * Note that the per-host count depends on the host set, so removing a host also adds entries to the others.
 */
export function buildRing(hosts: readonly Host[], minimumSize: number, maximumSize: number): Ring {
  if (hosts.length > HOST_SLOTS) throw new RangeError(`ring hash supports at most ${HOST_SLOTS} hosts`);
  let total = 0;
  let lightest = Infinity;
  for (const host of hosts) {
    total += host.weight;
    lightest = Math.min(lightest, host.weight);
  }
  const minNormalized = lightest / total;
  const scale = Math.min(Math.ceil(minNormalized * minimumSize) / minNormalized, maximumSize);
  const counts = new Uint32Array(hosts.length);
  let size = 0;
  for (let i = 0, target = 0; i < hosts.length; i++) {
    target += (scale * hosts[i].weight) / total;
    while (size < target) {
      counts[i]++;
      size++;
    }
  }
  const packed = new Float64Array(size);
  for (let i = 0, at = 0; i < hosts.length; i++) {
    for (let n = 0; n < counts[i]; n++) packed[at++] = hash32(`${hosts[i].key}_${n}`) * HOST_SLOTS + i;
  }
  packed.sort();
  const hashes = new Uint32Array(size);
  const owners = new Uint32Array(size);
  for (let e = 0; e < size; e++) {
    owners[e] = packed[e] % HOST_SLOTS;
    hashes[e] = (packed[e] - owners[e]) / HOST_SLOTS;
  }
  return { hashes, owners };
}

/** The first entry whose hash is ≥ `hash`, wrapping to entry 0 past the end. */
export function ringLookup(hashes: Uint32Array, hash: number): number {
  let lo = 0;
  let hi = hashes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (hashes[mid] < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo === hashes.length ? 0 : lo;
}

export const ringHashPolicy: LoadBalancerPolicy = {
  name: "RING_HASH",
  create(hosts: readonly Host[], options: LoadBalancerOptions): LoadBalancer {
    const { hosts: candidates, panic } = selectCandidates(hosts);
    if (candidates.length === 0) return emptyBalancer;
    const maximum = options.maximumRingSize ?? MAXIMUM_RING_SIZE;
    const minimum = Math.min(options.minimumRingSize ?? DEFAULT_MINIMUM_RING_SIZE, maximum);
    const { hashes, owners } = buildRing(candidates, minimum, maximum);
    if (hashes.length === 0) return emptyBalancer;
    const random = options.random;
    return {
      pick(context: LoadBalancerContext): Host {
        const hash = context.hash === undefined ? randomHash(random) : context.hash >>> 0;
        let entry = ringLookup(hashes, hash);
        const host = candidates[owners[entry]];
        const excluded = context.excluded;
        if (isAcceptable(host, panic, excluded) || !hasAcceptable(candidates, panic, excluded)) return host;
        // Retry path: walk clockwise to the next entry owned by an acceptable host.
        for (let walked = 1; walked < hashes.length; walked++) {
          entry = entry + 1 === hashes.length ? 0 : entry + 1;
          const next = candidates[owners[entry]];
          if (isAcceptable(next, panic, excluded)) return next;
        }
        return host;
      },
    };
  },
};
