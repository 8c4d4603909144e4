// Full GCs of the control plane's heap while its event loop is idle, so that V8's own do not land in a push.
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type EventLoopUtilization, performance } from "node:perf_hooks";

/**
 * When a collection is due. Each push leaves a few MB in the old generation that only a full GC frees (state the
 * ADS streams keep from one message to the next, the previous snapshots). Left to V8, that garbage grows to 1.3–4×
 * the live heap and is collected by an incremental GC whose marking steps and final pause fall into whichever
 * push is running: 150–300 ms of CPU in one endpoint change (bench/README.md, "Idle-time collections").
 */
export interface IdleCollectionPolicy {
  /** How often the event loop's utilization is sampled. */
  readonly checkMs: number;
  /** A sample counts as idle when the loop was busy for at most this share of it (0–1). */
  readonly idleUtilization: number;
  /** Idle samples in a row before collecting: the loop has been quiet for checkMs × this. */
  readonly idleSamples: number;
  /** Old-generation growth since the last full GC, as a share of what that GC left live, that makes one due… */
  readonly growthRatio: number;
  /** …and at least this many MB of growth (a small heap is not collected for a few MB). */
  readonly minGrowthMb: number;
  /** Otherwise a young-generation GC, when the young generation is at least this full (0–1). */
  readonly youngFraction: number;
}

export const DEFAULT_IDLE_COLLECTION: IdleCollectionPolicy = {
  checkMs: 50,
  idleUtilization: 0.1,
  idleSamples: 2,
  growthRatio: 0.75,
  minGrowthMb: 32,
  youngFraction: 0.25,
};

/**
 * V8's own limit, as growth over what its last full GC left live: above the idle collector's (so V8 collects by
 * itself only when pushes leave no idle time — its incremental marking starts about a young generation's worth
 * below the limit), and fixed — V8 otherwise picks 1.1–4× from its GC speed, which made the number of
 * collections per 100 edits vary from one to five between runs. Under load that never lets the loop idle, the
 * old generation stays under 2.5× the live heap.
 */
export const V8_HEAP_GROWING_PERCENT = 150;

/** What the collector reads and does; tests give their own. */
export interface IdleCollectorHost {
  /** MB used in the old generation (all spaces but the young generation's). */
  oldGenerationMb(): number;
  /** Share of the time since the previous call that the event loop was busy (0–1). */
  utilization(): number;
  /** MB used in the young generation, and its current capacity. */
  youngGeneration(): { readonly usedMb: number; readonly capacityMb: number };
  /** A full, blocking GC. */
  collect(): void;
  /** A young-generation GC (a scavenge). */
  collectYoung(): void;
  setInterval(fn: () => void, ms: number): { stop(): void };
}

export interface IdleCollector {
  /** Full GCs run so far. */
  readonly collections: number;
  /** Young-generation GCs run so far. */
  readonly youngCollections: number;
  stop(): void;
}

/**
 * Samples the loop every `checkMs`; after `idleSamples` quiet samples in a row, collects if the old generation grew
 * enough. `busy`: the owner's work that leaves the loop idle but must not meet a collection (a push waiting for its
 * debounce quiet period) — a sample taken while it says so does not count as quiet.
 */
export function createIdleCollector(
  host: IdleCollectorHost,
  policy: IdleCollectionPolicy = DEFAULT_IDLE_COLLECTION,
  busy: () => boolean = () => false,
): IdleCollector {
  /** Old generation after the last full GC: the live heap, as near as the collector can tell. */
  let liveMb = host.oldGenerationMb();
  let quiet = 0;
  let collections = 0;
  let youngCollections = 0;
  host.utilization(); // starts the first window
  const timer = host.setInterval(() => {
    const utilization = host.utilization();
    quiet = utilization <= policy.idleUtilization && !busy() ? quiet + 1 : 0;
    const oldMb = host.oldGenerationMb();
    // A collection V8 ran by itself shows as a drop: what it left is the better estimate of the live heap.
    if (oldMb < liveMb) liveMb = oldMb;
    if (quiet < policy.idleSamples) return;
    const fullDue = (old: number) =>
      old - liveMb >= Math.max(policy.minGrowthMb, liveMb * policy.growthRatio);
    if (!fullDue(oldMb)) {
      const young = host.youngGeneration();
      if (young.usedMb < young.capacityMb * policy.youngFraction) return;
      host.collectYoung();
      youngCollections++;
    }
    // Due now, or after what the young-generation GC promoted: in this idle spell, not in the next (which would
    // start 2 samples later, when the next piece of work may be arriving).
    if (fullDue(host.oldGenerationMb())) {
      host.collect();
      collections++;
      liveMb = host.oldGenerationMb();
    }
    quiet = 0;
    host.utilization(); // the collection itself is not the next window's work
  }, policy.checkMs);
  return {
    get collections() {
      return collections;
    },
    get youngCollections() {
      return youngCollections;
    },
    stop: () => timer.stop(),
  };
}

const YOUNG_SPACES = new Set(["new_space", "new_large_object_space"]);
const MB = 1024 * 1024;

/** The host on Node: V8's heap statistics, the event loop's utilization, `gc` (exposed for this isolate). */
export function nodeIdleCollectorHost(): IdleCollectorHost {
  // `gc` is put on contexts created after --expose-gc is set: a new one gives this isolate's.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as (options?: { type: "minor" | "major" }) => void;
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return {
    oldGenerationMb: () => {
      let bytes = 0;
      for (const space of getHeapSpaceStatistics()) {
        if (!YOUNG_SPACES.has(space.space_name)) bytes += space.space_used_size;
      }
      return bytes / MB;
    },
    utilization: () => {
      const now = performance.eventLoopUtilization();
      const window = performance.eventLoopUtilization(now, last);
      last = now;
      return window.utilization;
    },
    youngGeneration: () => {
      const space = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
      // Capacity: what one semi-space holds (space_size counts both).
      const used = space?.space_used_size ?? 0;
      return { usedMb: used / MB, capacityMb: (used + (space?.space_available_size ?? 0)) / MB };
    },
    collect: () => gc(),
    collectYoung: () => gc({ type: "minor" }),
    setInterval: (fn, ms) => {
      const handle = setInterval(fn, ms);
      handle.unref();
      return { stop: () => clearInterval(handle) };
    },
  };
}

/**
 * For `weft control`'s worker: V8's own full GCs held off to 2.5× the live heap, and idle-time ones before that.
 * V8 flags are the process's; in `weft control` the other thread is the launcher, with a heap of a few MB. Where
 * `gc` cannot be had, logs why and returns undefined: the control plane runs on with V8's own collections.
 */
export function startIdleCollector(
  busy: () => boolean,
  log: (line: string) => void,
  policy: IdleCollectionPolicy = DEFAULT_IDLE_COLLECTION,
): IdleCollector | undefined {
  let host: IdleCollectorHost;
  try {
    host = nodeIdleCollectorHost();
  } catch (err) {
    log(`idle-time GCs off: ${(err as Error).message}`);
    return undefined;
  }
  setFlagsFromString(`--heap-growing-percent=${V8_HEAP_GROWING_PERCENT}`);
  return createIdleCollector(host, policy, busy);
}
