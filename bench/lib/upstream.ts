// The HTTP benchmarks' frame: a temp dir and the upstream (bench/upstream.mjs) on the load core, cleaned up always.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LOAD_CORE } from "./load-tools.ts";
import { killAll, spawnPinned } from "./processes.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface BenchUpstream {
  /** A temp dir for generated configs (removed at the end). */
  readonly dir: string;
  readonly h1Port: number;
  readonly h2Port: number;
  readonly pid: number;
}

/** Runs `body` with the upstream up; stops it, every other child and removes the dir however `body` ends. */
export async function withUpstream(body: (upstream: BenchUpstream) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "weft-bench-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const upstream = spawnPinned(LOAD_CORE, process.execPath, [join(ROOT, "bench/upstream.mjs"), "0", "0"]);
  try {
    const [, h1, h2] = await upstream.waitFor(/^ready (\d+) (\d+)/m);
    await body({ dir, h1Port: Number(h1), h2Port: Number(h2), pid: upstream.pid });
  } finally {
    await upstream.stop();
    killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a benchmark's main; an error is printed, every child killed and the exit code set. */
export function runBench(main: () => Promise<void>): void {
  main().catch((err) => {
    console.error(err);
    killAll();
    process.exitCode = 1;
  });
}
