// Earliest-deadline-first weighted picking (Envoy's EDF scheduler): a pick moves a host 1/weight later.
import type { Host } from "../host.ts";
import { isAcceptable, randomIndex } from "./candidates.ts";
import type { LoadBalancer, LoadBalancerContext } from "./types.ts";

/** Deadlines are shifted back by whole units once the clock passes this, keeping them small and exact. */
const REBASE_AT = 1;
/** A host whose effective weight collapses to ~0 is pushed this far out rather than to Infinity. */
const MIN_WEIGHT = 1e-12;
/** At most this many warm-up picks randomise where a new scheduler starts in its cycle. */
const MAX_WARMUP = 1024;

/**
 * A weighted balancer over `hosts` (non-empty). `weightOf` is read each time a host is (re)scheduled, so a
 * dynamic weight (LEAST_REQUEST's weight / (active + 1)^bias) takes effect on the host's next turn.
 * A host's deadline is start + turns / weight; while its weight is unchanged only `turns` grows, so static
 * integer weights give exact deadlines and exact ties, which go to the host that waited longest — weights
 * 1:3 interleave as b b A b and equal weights rotate. No allocation per pick.
 */
export function createEdfBalancer(
  hosts: readonly Host[],
  panic: boolean,
  weightOf: (host: Host) => number,
  random: () => number,
): LoadBalancer {
  const n = hosts.length;
  const start = new Float64Array(n);
  const turns = new Float64Array(n);
  const weight = new Float64Array(n);
  const deadline = new Float64Array(n);
  const order = new Float64Array(n);
  const heap = new Int32Array(n);
  const position = new Int32Array(n);
  let now = 0;
  let sequence = n;

  const currentWeight = (id: number): number => Math.max(MIN_WEIGHT, weightOf(hosts[id]) || 0);
  const before = (a: number, b: number): boolean =>
    deadline[a] < deadline[b] || (deadline[a] === deadline[b] && order[a] < order[b]);

  const siftDown = (from: number): void => {
    let p = from;
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

  /** Gives host `id` its next turn, one 1/weight after its current deadline. */
  const reschedule = (id: number): void => {
    const w = currentWeight(id);
    if (w === weight[id]) {
      turns[id]++;
    } else {
      start[id] = deadline[id];
      turns[id] = 1;
      weight[id] = w;
    }
    deadline[id] = start[id] + turns[id] / weight[id];
    order[id] = sequence++;
    siftDown(position[id]);
  };

  /** Moves every deadline back by whole units (all deadlines are ≥ now, so turns stay ≥ 0). */
  const rebase = (): void => {
    const shift = Math.floor(now);
    now -= shift;
    for (let i = 0; i < n; i++) {
      if (start[i] >= shift) {
        start[i] -= shift;
      } else {
        turns[i] -= (shift - start[i]) * weight[i];
        start[i] = 0;
      }
      deadline[i] = start[i] + turns[i] / weight[i];
    }
  };

  const pickRoot = (): Host => {
    const id = heap[0];
    now = deadline[id];
    reschedule(id);
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
    reschedule(best);
    return hosts[best];
  };

  let lightest = Infinity;
  let total = 0;
  for (let i = 0; i < n; i++) {
    weight[i] = currentWeight(i);
    turns[i] = 1;
    deadline[i] = 1 / weight[i];
    order[i] = i;
    heap[i] = i;
    position[i] = i;
    lightest = Math.min(lightest, weight[i]);
    total += weight[i];
  }
  for (let p = (n >> 1) - 1; p >= 0; p--) siftDown(p);
  const cycle = Math.ceil(total / lightest);
  for (let warmup = randomIndex(random, Math.min(cycle, MAX_WARMUP)); warmup > 0; warmup--) pickRoot();

  return {
    pick(context: LoadBalancerContext): Host {
      const host = hosts[heap[0]];
      return isAcceptable(host, panic, context.excluded) ? pickRoot() : pickAcceptable(context.excluded);
    },
  };
}
