// `weft demo`: the local demo mesh (or, with --front-proxy, a single proxy in front of example upstreams).
import { packagePath } from "./package-root.ts";
import type { Server } from "node:http";
import { parseCommandArgs } from "./cli.ts";
import { startNodeProxy } from "./start-proxy.ts";
import { startDemoMesh } from "./demo-mesh.ts";
import { edgeDemo } from "./cli-demo-edge.ts";
import { startEchoServer } from "../../examples/echo-server.ts";
import { WeftError } from "../../proxy/errors.ts";

const USAGE = `Usage: weft demo [--config <dir>] [--access-log] [--edge [--edge-port <n>]]
       weft demo --front-proxy

Starts, with no external services, a Bookinfo-shaped mesh on this machine:
  - the control plane, watching examples/mesh/ (Istio YAML) — xDS on :15010, monitoring on :15014;
  - productpage, details, reviews v1/v2/v3 and ratings, each with a Weft sidecar, on their own loopback
    addresses (pod IPs 127.0.1.N; apps on 127.0.2.N; sidecar egress on 127.0.3.N), all on port 9080;
  - an ingress gateway on :8080 (from examples/mesh/gateway.yaml).
Edit examples/mesh/virtual-service-reviews.yaml while it runs: traffic follows within a second.

Options:
  --config <dir>   Mesh config directory (default examples/mesh).
  --access-log     Print an access-log line per request from every proxy.
  --edge           Also run the edge gateway Worker (deploy/workers) in workerd with wrangler dev, in front of
                   the mesh on :8787, routed by <dir>/edge-gateway.yaml (npm run demo:edge; needs the
                   devDependencies, so a checkout).
  --edge-port <n>  The edge's port (default 8787).
  --front-proxy    Instead: three example upstreams behind one proxy from examples/front-proxy.yaml.
  -h, --help       Show this help.
`;

export async function runDemoCommand(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, {
    config: { type: "string" },
    "access-log": { type: "boolean" },
    "front-proxy": { type: "boolean" },
    edge: { type: "boolean" },
    "edge-port": { type: "string" },
  }, USAGE);
  if (!args) return 2;
  const v = args.values as Record<string, string | boolean | undefined>;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const configDir = (v.config as string | undefined) ?? "examples/mesh";
  const edgePort = Number(v["edge-port"] ?? 8787);
  if (!Number.isInteger(edgePort) || edgePort <= 0 || edgePort > 65535) {
    console.error(`weft demo: --edge-port must be a port number\n\n${USAGE}`);
    return 2;
  }
  try {
    if (v["front-proxy"]) return await frontProxyDemo();
    if (v.edge) {
      return await edgeDemo({ configDir, accessLog: Boolean(v["access-log"]), edgePort, refreshSeconds: 2 });
    }
    return await meshDemo(configDir, Boolean(v["access-log"]));
  } catch (err) {
    if (err instanceof WeftError || (err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      console.error(`weft demo: ${(err as Error).message}\n(is another demo or weft control still running?)`);
      return 1;
    }
    throw err;
  }
}

async function meshDemo(configDir: string, accessLog: boolean): Promise<number> {
  const mesh = await startDemoMesh({ configDir, accessLog });
  console.log(`
Weft demo mesh is up: control plane + ${mesh.sidecars.size} Bookinfo workloads with sidecars + ingress gateway.

  curl -s localhost:8080/productpage                        # reviews v1 (no stars)
  curl -s -H 'end-user: jason' localhost:8080/productpage   # header route → reviews v2 (black stars)
  curl -s localhost:15014/debug/push_status                 # which proxy has which config version
  curl -s localhost:15014/metrics | grep pilot_xds          # control-plane metrics

Now edit ${configDir}/virtual-service-reviews.yaml — e.g. route everyone 50/50 to v1 and v3 —
and curl again: the sidecars follow within a second, no restarts. Ctrl-C stops.
`);
  await waitForSignal();
  await mesh.close();
  return 0;
}

async function frontProxyDemo(): Promise<number> {
  const upstreams: Server[] = await Promise.all([
    startEchoServer("service_a-1", 18081),
    startEchoServer("service_a-2", 18082),
    startEchoServer("service_b", 18083),
  ]);
  const configPath = packagePath("examples/front-proxy.yaml");
  const running = (await startNodeProxy({ configPath, accessLog: true }))!;
  console.log(`
Weft front proxy on 127.0.0.1:10000 in front of service_a (2 instances) and service_b.

  curl -s localhost:10000/service/hello                    # 80% service_a (round robin), 20% service_b
  curl -s -H 'x-canary: true' localhost:10000/service/x    # header match → service_b
  curl -si localhost:10000/old/thing                       # 302 redirect to /service/thing
  curl -s --http2-prior-knowledge localhost:10000/healthz  # HTTP/2 (h2c), direct response
  curl -s localhost:9901/stats/prometheus | grep rq_total  # admin: stats, /clusters, /config_dump

Config: examples/front-proxy.yaml (an ordinary Envoy v3 bootstrap). Ctrl-C stops.
`);
  await waitForSignal(running.onQuit);
  await running.stop(1000);
  for (const s of upstreams) s.close();
  return 0;
}

function waitForSignal(onQuit?: (fn: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
    onQuit?.(() => resolve());
  });
}
