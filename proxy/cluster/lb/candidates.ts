// Host-set rules shared by every LB policy: healthy candidates, panic fallback, exclusion checks.
import type { Host } from "../host.ts";
import type { LoadBalancer } from "./types.ts";

export interface CandidateSet {
  /** The hosts a policy balances over: the healthy ones, or all of them in panic mode. */
  readonly hosts: readonly Host[];
  /** No host was healthy when the balancer was created, so every host is a candidate (Envoy's panic mode). */
  readonly panic: boolean;
}

/** Snapshots the candidates at create() time; the caller recreates the balancer when the host set changes. */
export function selectCandidates(hosts: readonly Host[]): CandidateSet {
  let healthy = 0;
  for (const host of hosts) if (host.healthy) healthy++;
  if (healthy === 0) return { hosts: hosts.slice(), panic: hosts.length > 0 };
  return { hosts: healthy === hosts.length ? hosts.slice() : hosts.filter((h) => h.healthy), panic: false };
}

/**
 * Whether a candidate may be picked now: not excluded by the retry predicate, and (outside panic mode)
 * still healthy — a host marked unhealthy after create() is skipped until the balancer is rebuilt.
 */
export function isAcceptable(host: Host, panic: boolean, excluded: ReadonlySet<Host> | undefined): boolean {
  return (panic || host.healthy) && (excluded === undefined || !excluded.has(host));
}

/** Whether any candidate is acceptable; when none is, policies ignore the exclusion. */
export function hasAcceptable(
  hosts: readonly Host[],
  panic: boolean,
  excluded: ReadonlySet<Host> | undefined,
): boolean {
  for (const host of hosts) if (isAcceptable(host, panic, excluded)) return true;
  return false;
}

/** A uniform index in [0, n) from a [0, 1) source (clamped in case the source returns 1). */
export function randomIndex(random: () => number, n: number): number {
  const i = Math.floor(random() * n);
  return i < n ? i : n - 1;
}

/** A uniform unsigned 32-bit value (a random point on a hash ring / table). */
export function randomHash(random: () => number): number {
  return Math.floor(random() * 0x1_0000_0000) >>> 0;
}

export function allWeightsEqual(hosts: readonly Host[]): boolean {
  for (let i = 1; i < hosts.length; i++) if (hosts[i].weight !== hosts[0].weight) return false;
  return true;
}

/** The balancer for an empty host set. */
export const emptyBalancer: LoadBalancer = { pick: () => undefined };
