// Earliest-deadline-first weighted picking (Envoy's EDF scheduler): a pick moves a host 1/weight later.
import type { Host } from "../host.ts";
import { isAcceptable, randomIndex } from "./candidates.ts";
import type { LoadBalancer, LoadBalancerContext } from "./types.ts";

/** Deadlines are rebased once the clock passes this, so 1/weight steps stay far inside double precision. */
const REBASE_AT = 1024;
/** A host whose effective weight collapses to ~0 is pushed this far out rather than to Infinity. */
const MAX_STEP = 1e12;
/** At most this many warm-up picks randomise where a new scheduler starts in its cycle. */
const MAX_WARMUP = 1024;

/**
 * A weighted balancer over `hosts` (non-empty). `weightOf` is read each time a host is (re)scheduled, so a
 * dynamic weight (LEAST_REQUEST's weight / (active + 1)^bias) takes effect on the host's next turn.
 * Ties go to the host that has waited longest, so equal weights rotate exactly. No allocation per pick.
 */
export function createEdfBalancer(
  hosts: readonly Host[],
  panic: boolean,
  weightOf: (host: Host) => number,
  random: () => number,
): LoadBalancer {
  const n = hosts.length;
  const deadline = new Float64Array(n);
  const order = new Float64Array(n);
  const heap = new Int32Array(n);
  const position = new Int32Array(n);
  let now = 0;
  let sequence = n;

  const step = (id: number): number => {
    const weight = weightOf(hosts[id]);
    return weight > 1 / MAX_STEP ? 1 / weight : MAX_STEP;
  };
  const before = (a: number, b: number): boolean =>
    deadline[a] < deadline[b] || (deadline[a] === deadline[b] && order[a] < order[b]);

  const siftDown = (start: number): void => {
    let p = start;
    const id = heap[p];
    for (;;) {
      let child = 2 * p + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap[child + 1], heap[child])) child++;
      if (!before(heap[child], id)) break;
      heap[p] = heap[child];
      position[heap[p]] = p;
      p = child;
    }
    heap[p] = id;
    position[id] = p;
  };

  const rebase = (): void => {
    const shift = Math.floor(now);
    now -= shift;
    for (let i = 0; i < n; i++) deadline[i] -= shift;
  };

  const pickRoot = (): Host => {
    const id = heap[0];
    now = deadline[id];
    deadline[id] = now + step(id);
    order[id] = sequence++;
    siftDown(0);
    if (now >= REBASE_AT) rebase();
    return hosts[id];
  };

  /** The earliest acceptable host takes its turn now (retry path only: O(n)). */
  const pickAcceptable = (excluded: ReadonlySet<Host> | undefined): Host => {
    let best = -1;
    for (let i = 0; i < n; i++) {
      if (isAcceptable(hosts[i], panic, excluded) && (best < 0 || before(i, best))) best = i;
    }
    if (best < 0) return pickRoot();
    deadline[best] += step(best);
    order[best] = sequence++;
    siftDown(position[best]);
    return hosts[best];
  };

  let minWeight = Infinity;
  let totalWeight = 0;
  for (let i = 0; i < n; i++) {
    const weight = weightOf(hosts[i]);
    minWeight = Math.min(minWeight, weight);
    totalWeight += weight;
    deadline[i] = step(i);
    order[i] = i;
    heap[i] = i;
    position[i] = i;
  }
  for (let p = (n >> 1) - 1; p >= 0; p--) siftDown(p);
  const cycle = minWeight > 0 ? Math.ceil(totalWeight / minWeight) : n;
  for (let warmup = randomIndex(random, Math.min(cycle, MAX_WARMUP)); warmup > 0; warmup--) pickRoot();

  return {
    pick(context: LoadBalancerContext): Host {
      const host = hosts[heap[0]];
      return isAcceptable(host, panic, context.excluded) ? pickRoot() : pickAcceptable(context.excluded);
    },
  };
}
