// V8 settings for a long-running sidecar: a small young generation, no wasm JIT spike, old-space GCs sized on what is live.
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { PerformanceObserver } from "node:perf_hooks";

/** Semi-space size the young generation is held at once the proxy runs (V8's default grows it to 16 MB). */
const SEMI_SPACE_MB = Number(process.env.WEFT_SEMI_SPACE_MB ?? 2);

/**
 * Called by `weft proxy` before anything else is loaded (the flags only act on what happens afterwards):
 *
 * - `--semi-space-growth-factor=1`: the young generation does not grow while the configuration loads (it
 *   would reach 16 MB semi-spaces, ~30 MB of RSS); `holdYoungGeneration` sizes it once the proxy runs.
 * - `--liftoff-only`: undici's llhttp parser (WebAssembly) is compiled by the baseline compiler only; the
 *   optimizing tier-up at the first upstream requests raised the peak RSS by ~30 MB for a few ms of parsing.
 */
export function applyProxyV8Flags(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
  setFlagsFromString("--liftoff-only");
}

/**
 * Once the proxy is up:
 *
 * - One full GC, and old-space GCs from then on once the old generation has grown by 30 % (at least V8's
 *   minimum step) over what was live after the last one. Left alone, V8 lets it grow to a start-up default far
 *   above a proxy's live heap (~15 MB) and then by up to 4×, so request objects promoted out of the young
 *   generation pile up for tens of MB. (`gc` is reachable only through `--expose-gc`, which takes effect for
 *   contexts created after it is set.)
 * - The young generation is let grow to SEMI_SPACE_MB and no further: V8 cannot be given a maximum after
 *   start-up, but it reads the growth factor each time it grows the young generation, so after every GC the
 *   factor is set to what reaches the target (1 once there). Smaller semi-spaces mean more scavenges, each
 *   copying the requests in flight: 1 MB cost ~10 µs of GC per request under load, 2 MB ~5, 16 MB ~1.5.
 */
export function settleProxyHeap(): void {
  setFlagsFromString("--heap-growing-percent=30");
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  const target = 2 * SEMI_SPACE_MB * 1024 * 1024; // new space = two semi-spaces
  // Watched after every GC while below the target (growth can only happen at a GC); once there, checked now
  // and then in case V8 shrank it while idle.
  let factor = 1;
  const observer = new PerformanceObserver(() => adjust());
  let observing = false;
  const adjust = () => {
    const size = getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? target;
    const wanted = size >= target ? 1 : Math.ceil(target / size);
    if (wanted !== factor) setFlagsFromString(`--semi-space-growth-factor=${factor = wanted}`);
    if (wanted > 1 && !observing) observer.observe({ entryTypes: ["gc"] });
    else if (wanted === 1 && observing) observer.disconnect();
    observing = wanted > 1;
  };
  adjust();
  setInterval(adjust, 5_000).unref();
}
