// The targets under test: direct, Weft, nginx and the Node peers — each knows how to start itself pinned to a core.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { NODE_BUNDLE_OPTIONS } from "../../scripts/node-bundle.js";
import { BENCH_PATH, nginxConf, weftBootstrap } from "./configs.ts";
import { type Child, freePort, spawnPinned, waitForPort } from "./processes.ts";

export const PROXY_CORE = 1;
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface BenchEnv {
  readonly dir: string;
  readonly upstreamPort: number;
  readonly upstreamH2Port: number;
  readonly tools: Readonly<Record<"nginx", string | undefined>>;
  /** Core to pin proxies to; undefined when taskset is missing. */
  readonly proxyCore: number | undefined;
  /** Start Weft with --inspect so it can be CPU-profiled during chosen runs. */
  readonly profile?: boolean;
}

export interface RunningTarget {
  /** The proxy process (absent for direct). */
  readonly child?: Child;
  readonly h1Url: string;
  /** h2c prior-knowledge URL, or undefined when the target has no h2c. */
  readonly h2Url?: string;
  /** The process's --inspect port, when it can be profiled. */
  readonly inspectPort?: number;
  /** Requests the proxy says it routed to the benchmarked cluster (Weft only; a sanity check). */
  routedRequests?(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export interface Target {
  readonly name: string;
  readonly nodePeer: boolean;
  /** Why the target cannot run here (a missing tool), or undefined. */
  missing(env: BenchEnv): string | undefined;
  start(env: BenchEnv): Promise<RunningTarget>;
}

const url = (port: number) => `http://127.0.0.1:${port}${BENCH_PATH}`;

const direct: Target = {
  name: "direct",
  nodePeer: false,
  missing: () => undefined,
  start: async (env) => ({
    h1Url: url(env.upstreamPort),
    h2Url: url(env.upstreamH2Port),
    stop: async () => {},
  }),
};

const weft: Target = {
  name: "weft",
  nodePeer: false,
  // The production entry point: the esbuild bundle `npm run build` (run by npm install) makes — no tsx at run time.
  missing: () =>
    existsSync(join(ROOT, "dist/weft.mjs")) ? undefined : "dist/weft.mjs missing: run npm run build",
  async start(env) {
    const [listenPort, adminPort] = [await freePort(), await freePort()];
    const file = join(env.dir, "weft-bootstrap.yaml");
    writeFileSync(file, weftBootstrap({ listenPort, adminPort, upstreamPort: env.upstreamPort }));
    const inspectPort = env.profile ? await freePort() : undefined;
    const prof = inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : [];
    const child = spawnPinned(env.proxyCore, process.execPath, [
      ...prof,
      join(ROOT, "dist/weft.mjs"),
      "proxy",
      "-c",
      file,
      "--drain-time-s",
      "0",
    ], ROOT);
    await waitForPort(listenPort, child);
    return {
      child,
      h1Url: url(listenPort),
      h2Url: url(listenPort),
      inspectPort,
      async routedRequests() {
        const text = await (await fetch(`http://127.0.0.1:${adminPort}/stats`)).text();
        const m = text.match(/^cluster\.bench_upstream\.upstream_rq_total: (\d+)$/m);
        return m ? Number(m[1]) : undefined;
      },
      stop: () => child.stop(10_000),
    };
  },
};

const nginx: Target = {
  name: "nginx",
  nodePeer: false,
  missing: (env) => env.tools.nginx ? undefined : "nginx not installed",
  async start(env) {
    const dir = join(env.dir, "nginx");
    mkdirSync(dir, { recursive: true });
    const [listenPort, h2Port] = [await freePort(), await freePort()];
    writeFileSync(
      join(dir, "nginx.conf"),
      nginxConf({ dir, listenPort, h2Port, upstreamPort: env.upstreamPort }),
    );
    const child = spawnPinned(env.proxyCore, env.tools.nginx!, [
      "-p",
      dir,
      "-c",
      join(dir, "nginx.conf"),
      "-e",
      join(dir, "error.log"),
    ]);
    await waitForPort(listenPort, child);
    await waitForPort(h2Port, child);
    return { child, h1Url: url(listenPort), h2Url: url(h2Port), stop: () => child.stop() };
  },
};

/** Starts a script of bench/peers/ pinned: `node [nodeArgs] <script> <port> <upstreamPort> [args]`, once ready. */
async function startPeerScript(
  env: BenchEnv,
  script: string,
  port: number,
  args: readonly string[] = [],
  nodeArgs: readonly string[] = [],
) {
  const child = spawnPinned(env.proxyCore, process.execPath, [
    ...nodeArgs,
    join(ROOT, "bench/peers", script),
    String(port),
    String(env.upstreamPort),
    ...args,
  ], ROOT);
  await child.waitFor(/^ready /m);
  await waitForPort(port, child);
  return child;
}

function nodePeer(name: string, script: string): Target {
  return {
    name,
    nodePeer: true,
    missing: () => undefined,
    async start(env) {
      const port = await freePort();
      const child = await startPeerScript(env, script, port);
      return { child, h1Url: url(port), stop: () => child.stop() };
    },
  };
}

/** Weft's heap management for a sidecar (adapters/node/proxy-v8-flags.ts), bundled for plain Node scripts. */
async function proxyHeapModule(): Promise<string> {
  const outfile = join(ROOT, "dist/bench/proxy-v8-flags.mjs");
  await build({
    ...NODE_BUNDLE_OPTIONS,
    entryPoints: [join(ROOT, "adapters/node/proxy-v8-flags.ts")],
    outfile,
  });
  return outfile;
}

/**
 * The floor (bench/peers/floor.mjs): Weft's parts with nothing of Weft's own; a reference line, not a peer.
 * `floor-lean` runs it with the heap `weft proxy` keeps (adapters/node/proxy-v8-flags.ts: 2 MB semi-spaces,
 * llhttp's WebAssembly compiled by the baseline tier only, old-space GCs at +30 % over the live heap).
 */
function floor(name: string, lean: boolean): Target {
  return {
    name,
    nodePeer: false,
    missing: () => undefined,
    async start(env) {
      const [port, h2Port] = [await freePort(), await freePort()];
      const inspectPort = env.profile ? await freePort() : undefined;
      const child = await startPeerScript(
        env,
        "floor.mjs",
        port,
        [String(h2Port), ...(lean ? [await proxyHeapModule()] : [])],
        inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : [],
      );
      return { child, h1Url: url(port), h2Url: url(h2Port), inspectPort, stop: () => child.stop() };
    },
  };
}

export const TARGETS: readonly Target[] = [
  direct,
  weft,
  nginx,
  nodePeer("http-proxy", "http-proxy.mjs"),
  nodePeer("fastify-http-proxy", "fastify-http-proxy.mjs"),
  nodePeer("fast-proxy", "fast-proxy.mjs"),
  floor("floor", false),
  floor("floor-lean", true),
];
