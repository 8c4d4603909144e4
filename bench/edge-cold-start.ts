// Measures the edge gateway bundle's cold start in workerd (miniflare): isolate ready, first request, warm requests.
//
//   npm run build:edge && npm run bench:edge
//
// Starts the conformance upstream and `weft control` on a temp directory holding an edge Gateway and
// VirtualService, then runs dist/worker/worker.js in a fresh Miniflare several times. The first request of a
// fresh isolate includes creating the proxy and pulling its config from the control plane.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Miniflare } from "miniflare";

const root = join(import.meta.dirname, "..");
const bundle = join(root, "dist/worker/worker.js");
const ROUNDS = 5;
const WARM = 50;

function firstLine(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      const m = line.match(pattern);
      if (m) resolve(m);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before printing ${pattern}`)));
  });
}

const yaml = (port: number) =>
  `apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: { name: edge-gateway, namespace: edge }
spec:
  selector: { istio: edgegateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: shop, namespace: edge }
spec:
  hosts: [shop.example.internal]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: STATIC
  endpoints: [{ address: 127.0.0.1, ports: { http: ${port} } }]
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: edge-routes, namespace: edge }
spec:
  hosts: ["*"]
  gateways: [edge-gateway]
  http: [{ route: [{ destination: { host: shop.example.internal, port: { number: 80 } } }] }]
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (n: number) => `${n.toFixed(1)} ms`;

if (!existsSync(bundle)) throw new Error("dist/worker/worker.js is missing: run npm run build:edge first");
const upstream = spawn(process.execPath, [
  "--import",
  "tsx",
  join(root, "tests/conformance/upstream-server.ts"),
], {
  stdio: ["pipe", "pipe", "inherit"],
});
const { ports } = JSON.parse((await firstLine(upstream, /^\{.*\}$/))[0]) as { ports: number[] };
const dir = await mkdtemp(join(tmpdir(), "weft-edge-cold-"));
await writeFile(join(dir, "edge.yaml"), yaml(ports[0]));
const control = spawn(
  process.execPath,
  [join(root, "bin/weft.js"), "control", "--config", dir, "--xds-port", "0", "--monitoring-port", "0"],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const xdsPort = Number((await firstLine(control, /xDS on :(\d+)/))[1]);

try {
  const ready: number[] = [], first: number[] = [], warm: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = performance.now();
    const mf = new Miniflare({
      modules: true,
      scriptPath: bundle,
      compatibilityDate: "2025-09-01",
      cf: false,
      bindings: {
        WEFT_CONTROL_URL: `http://127.0.0.1:${xdsPort}`,
        WEFT_NAMESPACE: "edge",
        WEFT_GATEWAY_LABELS: "istio=edgegateway",
      },
    });
    await mf.ready;
    const t1 = performance.now();
    const res = await mf.dispatchFetch("http://edge.test/echo/cold");
    if (res.status !== 200) throw new Error(`first request: ${res.status} ${await res.text()}`);
    await res.text();
    const t2 = performance.now();
    ready.push(t1 - t0);
    first.push(t2 - t1);
    for (let i = 0; i < WARM; i++) {
      const s = performance.now();
      await (await mf.dispatchFetch("http://edge.test/echo/warm")).text();
      warm.push(performance.now() - s);
    }
    await mf.dispose();
  }
  console.log(`workerd ready (Miniflare start, bundle loaded):      median ${ms(median(ready))}`);
  console.log(`first request (proxy + config pull + upstream):      median ${ms(median(first))}`);
  console.log(`warm request through the proxy (${WARM}×${ROUNDS}):            median ${ms(median(warm))}`);
} finally {
  control.kill();
  upstream.stdin?.end();
  upstream.kill();
  await rm(dir, { recursive: true, force: true });
}
