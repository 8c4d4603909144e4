// Registered instances and their TTL leases; expiry is driven by an injectable clock.
import type { Instance } from "../../gen/weft/registry/v1/registry_pb.ts";

export interface Lease {
  readonly instance: Instance;
  /** Host name the instance was registered under (fully qualified). */
  readonly hostname: string;
  readonly ttlMs: number;
  expiresAt: number;
}

export interface LeaseTable {
  get(id: string): Lease | undefined;
  set(id: string, lease: Lease): void;
  delete(id: string): Lease | undefined;
  all(): IterableIterator<Lease>;
  /** Removes and returns the leases that ended at or before `now`. */
  expire(now: number): Lease[];
}

export function createLeaseTable(): LeaseTable {
  const leases = new Map<string, Lease>();
  return {
    get: (id) => leases.get(id),
    set: (id, lease) => void leases.set(id, lease),
    delete(id) {
      const lease = leases.get(id);
      leases.delete(id);
      return lease;
    },
    all: () => leases.values(),
    expire(now) {
      const out: Lease[] = [];
      for (const [id, lease] of leases) {
        if (lease.expiresAt <= now) {
          leases.delete(id);
          out.push(lease);
        }
      }
      return out;
    },
  };
}
