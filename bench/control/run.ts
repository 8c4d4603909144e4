// `npm run bench:control`: 1,000 services × 10 endpoints, 500 simulated sidecars over SotW then delta ADS.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { markdownProfile, summarizeProfile } from "../lib/cpu-profile.ts";
import { createTsxMapper } from "../lib/source-map.ts";
import type { MeshShape } from "./layout.ts";
import { type PhaseResult, runPhase } from "./phase.ts";
import { TASKSET } from "./procs.ts";
import { SIM_CLIENT_KINDS, type SimClientKind } from "./sim-common.ts";
import { bundleControlHarness } from "./harness-bundle.ts";
import {
  evaluateTargets,
  markdownCost,
  markdownReport,
  markdownTargets,
  summarizeChanges,
} from "./report.ts";

const USAGE = `Usage: npm run bench:control -- [options]

  --services N      Kubernetes Services (default 1000; each with --endpoints endpoints)
  --endpoints N     endpoints per Service (default 10)
  --proxies N       simulated sidecars (default 500)
  --changes N       endpoint edits timed per phase (default 100: the p99 of fewer is their slowest)
  --warmup N        edits before those, timed and reported apart: the first edits after a start run code
                    the first push did not, not yet optimized (default 3: V8 still deoptimizes and
                    recompiles the per-edit path during the second edit, so the third pays for it)
  --modes LIST      ADS flavours, in order (default sotw,delta)
  --quiet LIST      debounce quiet periods in ms, one set of phases each (default 100,10)
  --per-connection N  simulated proxies per HTTP/2 connection (default 1: one connection each)
  --client NAME     the simulated proxies' gRPC client: h2 (default: node:http2, gRPC framing of its own),
                    grpc-js or connect
  --heap MB         --max-old-space-size for the control plane (default: Node's own limit)
  --source          run the control plane from its TypeScript sources through tsx (as control-process.ts), not
                    bundled the way \`npm run build\` bundles \`weft control\` (the default, what users run); profiles
                    then name source lines
  --profile         --cpu-prof both processes (bench/results/control-profile/); prints the control plane's hot spots
                    (implies --source)
  --out FILE        results file under bench/results (default control-latest.json)
  --quick           100 services, 50 proxies, 5 changes, quiet 100 only
  -h, --help
`;

const { values } = parseArgs({
  options: {
    services: { type: "string" },
    endpoints: { type: "string" },
    proxies: { type: "string" },
    changes: { type: "string" },
    warmup: { type: "string" },
    modes: { type: "string" },
    quiet: { type: "string" },
    "per-connection": { type: "string" },
    profile: { type: "boolean" },
    source: { type: "boolean" },
    client: { type: "string" },
    heap: { type: "string" },
    out: { type: "string" },
    quick: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const quick = values.quick === true;
const num = (v: string | undefined, dflt: number) => (v === undefined ? dflt : Number(v));
const shape: MeshShape = {
  services: num(values.services, quick ? 100 : 1000),
  endpointsPerService: num(values.endpoints, 10),
  namespaces: 5,
  subsetEvery: 10,
  proxies: num(values.proxies, quick ? 50 : 500),
};
const changes = num(values.changes, quick ? 5 : 100);
const warmups = num(values.warmup, quick ? 1 : 3);
const modes = (values.modes ?? "sotw,delta").split(",") as ("sotw" | "delta")[];
const quiets = (values.quiet ?? (quick ? "100" : "100,10")).split(",").map(Number);
const perConnection = num(values["per-connection"], 1);
const client = (values.client ?? "h2") as SimClientKind;
if (!SIM_CLIENT_KINDS.includes(client)) {
  console.error(`bench:control: --client must be one of ${SIM_CLIENT_KINDS.join(", ")}, not "${client}"`);
  process.exit(2);
}

const root = fileURLToPath(new URL("../../", import.meta.url));
const resultsDir = join(root, "bench/results");
const configDir = join(tmpdir(), `weft-bench-control-${process.pid}`);
const profileDir = values.profile ? join(resultsDir, "control-profile") : undefined;
if (profileDir) rmSync(profileDir, { recursive: true, force: true });

const log = (line: string) => console.error(`bench:control: ${line}`);
log(
  `${shape.services} services × ${shape.endpointsPerService} endpoints, ${shape.proxies} proxies ` +
    `(${perConnection} per HTTP/2 connection, ${client}), ${warmups} + ${changes} changes; phases ${
      quiets.map((q) => modes.map((m) => `${m}/${q}ms`).join(", ")).join(", ")
    }; taskset ${TASKSET ? "yes (control core 1, clients core 0)" : "not found (unpinned)"}; load ${
      loadavg().map((l) => l.toFixed(2)).join(" ")
    }`,
);

// A CPU profile names source lines only from the sources: --profile implies --source.
const fromSource = values.source === true || values.profile === true;
const controlScript = fromSource
  ? join(root, "bench/control/control-process.ts")
  : await bundleControlHarness(root);
log(`control plane: ${fromSource ? "TypeScript sources through tsx" : `bundled (${controlScript})`}`);

const phases: PhaseResult[] = [];
let offset = 0;
try {
  for (const quietMs of quiets) {
    for (const mode of modes) {
      log(`phase ${mode}, quiet ${quietMs} ms`);
      phases.push(
        await runPhase(
          {
            mode,
            quietMs,
            shape,
            changes,
            warmups,
            proxiesPerConnection: perConnection,
            client,
            heapMb: values.heap === undefined ? undefined : Number(values.heap),
            configDir,
            controlScript,
            profileDir,
            changeOffset: offset,
          },
          (line) => log(`  ${line}`),
        ),
      );
      offset += warmups + changes;
    }
  }
} finally {
  rmSync(configDir, { recursive: true, force: true });
}

const targets = evaluateTargets(phases);
const env = {
  node: process.version,
  cores: availableParallelism(),
  loadAverageAtEnd: loadavg(),
  pinned: TASKSET !== undefined,
  note: "2-core machine shared with other work: control plane on core 1, simulated proxies on core 0",
};
const out = [
  `### Control plane: ${shape.services} services × ${shape.endpointsPerService} endpoints, ${shape.proxies} proxies`,
  "",
  markdownReport(phases),
  "",
  markdownCost(phases),
  "",
  markdownTargets(targets),
];
if (profileDir) {
  const mapper = createTsxMapper();
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is control-process.ts's launcher, which idles.
  const launcher = /\.\d+\.0\.\d+\.cpuprofile$/;
  for (const file of readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile") && !launcher.test(f))) {
    const profile = JSON.parse(readFileSync(join(profileDir, file), "utf8"));
    out.push(
      "",
      `Control-plane profile ${file}:`,
      "",
      markdownProfile(summarizeProfile(profile, root, 20, mapper)),
    );
  }
}
console.log(out.join("\n"));

// --out is relative to bench/results unless absolute.
const outFile = resolve(resultsDir, values.out ?? "control-latest.json");
mkdirSync(resultsDir, { recursive: true });
writeFileSync(
  outFile,
  `${
    JSON.stringify(
      {
        date: new Date().toISOString(),
        env,
        shape,
        changesPerPhase: changes,
        warmupChangesPerPhase: warmups,
        proxiesPerConnection: perConnection,
        client,
        phases: phases.map((p) => ({ ...p, summary: summarizeChanges(p) })),
        targets,
      },
      (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v),
      2,
    )
  }\n`,
);
log(`wrote ${outFile}`);
