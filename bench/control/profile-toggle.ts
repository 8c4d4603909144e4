// SIGUSR1 starts a CPU profile (or, for a file ending in .heapprofile, allocation sampling); the next writes it.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";

/**
 * For the benchmark's child processes: the runner sends SIGUSR1 around the part of a phase it wants profiled
 * (BENCH_CONTROL_PROFILE_PART). With `survivors`, allocation sampling keeps only objects that outlived a
 * young-generation GC (what old-space GCs clean up). `signals`: where SIGUSR1 arrives (a worker thread gets it from its
 * process, see control-process.ts).
 */
export function installProfileToggle(
  file: string,
  options: { readonly survivors?: boolean; readonly signals?: NodeJS.EventEmitter } = {},
): void {
  const heapProfile = file.endsWith(".heapprofile");
  const inspector = new Session();
  inspector.connect();
  let profiling = false;
  (options.signals ?? process).on("SIGUSR1", () => {
    if (!profiling) {
      profiling = true;
      if (heapProfile) {
        inspector.post("HeapProfiler.startSampling", {
          samplingInterval: 16384,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: !options.survivors,
        });
      } else inspector.post("Profiler.enable", () => inspector.post("Profiler.start"));
      return;
    }
    profiling = false;
    inspector.post(heapProfile ? "HeapProfiler.stopSampling" : "Profiler.stop", (err, result) => {
      const profile = (result as { profile?: unknown } | undefined)?.profile;
      if (!err && profile) writeFileSync(file, JSON.stringify(profile));
    });
  });
}
