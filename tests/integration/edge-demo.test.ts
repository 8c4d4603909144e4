// The edge demo end to end: the edge Worker in workerd (wrangler dev) in front of the demo mesh, routed by Istio YAML.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoMesh, startDemoMesh } from "../../adapters/node/demo-mesh.ts";
import {
  type RunningWranglerDev,
  startWranglerDev,
  wranglerDevProblem,
} from "../../adapters/node/wrangler-dev.ts";
import { closeClients, copyConfigDir, freePort, get, ROOT, waitFor } from "../support/mesh.ts";

interface Reviews {
  readonly version: string;
  readonly reviews: { reviewer: string; rating?: { stars: number | string; color: string } }[];
}
interface ProductPage {
  readonly user: string | null;
  readonly reviews: Reviews;
}

const problem = wranglerDevProblem();
if (problem) console.warn(`tests/integration/edge-demo.test.ts skipped: ${problem}`);

// Pod IPs 127.0.1.N become 127.0.1.(N+100) (apps on 127.0.2.N+100, egress on 127.0.3.N+100), so this mesh
// does not collide with tests/integration/mesh-demo.test.ts's when the files run in parallel.
const SHIFT = 100;
const shiftPodIps = (text: string) =>
  text.replace(/podIP: 127\.0\.1\.(\d+)/g, (_m, n: string) => `podIP: 127.0.1.${Number(n) + SHIFT}`);

let dir: string;
let mesh: DemoMesh;
let edge: RunningWranglerDev;
const edgeLines: string[] = [];
const meshLines: string[] = [];
const edgeFile = () => join(dir, "edge-gateway.yaml");
const shipped = readFileSync(join(ROOT, "examples/mesh/edge-gateway.yaml"), "utf8");

async function viaEdge<T>(path: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await get(`${edge.url}${path}`, headers);
  if (res.status !== 200) throw new Error(`edge ${path} answered ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as T;
}

/** The edge VirtualService with /reviews/ split by the end-user header: jason → `jason`, others → `others`. */
function edgeRoutes(jason: string, others: string): string {
  const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: edge
spec:
  hosts: ["*"]
  gateways: [edge-gateway]
  http:
    - match: [{ uri: { prefix: /reviews/ }, headers: { end-user: { exact: jason } } }]
      route: [{ destination: { host: reviews, subset: ${jason} } }]
    - match: [{ uri: { prefix: /reviews/ } }]
      route: [{ destination: { host: reviews, subset: ${others} } }]
    - route: [{ destination: { host: productpage, port: { number: 9080 } } }]
`;
  const start = shipped.indexOf("apiVersion: networking.istio.io/v1\nkind: VirtualService");
  const end = shipped.indexOf("---", start);
  return shipped.slice(0, start) + vs + shipped.slice(end);
}

describe.skipIf(problem !== undefined)(
  "the edge gateway Worker (wrangler dev) in front of the demo mesh",
  () => {
    beforeAll(async () => {
      const gatewayPort = await freePort();
      dir = copyConfigDir(join(ROOT, "examples/mesh"), (file, text) => {
        if (file === "bookinfo.yaml") return shiftPodIps(text);
        if (file === "gateway.yaml") return text.replace("number: 8080", `number: ${gatewayPort}`);
        return text;
      });
      mesh = await startDemoMesh({
        configDir: dir,
        xdsPort: 0,
        monitoringPort: 0,
        log: (l) => meshLines.push(l),
      });
      edge = await startWranglerDev({
        port: 0,
        vars: { WEFT_CONTROL_URL: `http://127.0.0.1:${mesh.control.xdsPort}`, WEFT_REFRESH_SECONDS: "1" },
        log: (l) => edgeLines.push(l),
      });
      await waitFor("the edge to route /reviews/0", () => viaEdge("/reviews/0"), 15_000, 100);
    }, 60_000);

    afterAll(async () => {
      await edge?.stop();
      await mesh?.close();
      await closeClients();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("routes /reviews/... by the edge VirtualService straight to reviews v2, at its sidecar's pod IP", async () => {
      for (let i = 0; i < 5; i++) {
        const reviews = await viaEdge<Reviews>("/reviews/0");
        expect(reviews.version).toBe("v2");
        // v2 fetched its ratings through its own sidecar: black stars
        expect(reviews.reviews.map((r) => r.rating)).toEqual([
          { stars: 5, color: "black" },
          { stars: 4, color: "black" },
        ]);
      }
      // the Worker's access log names the upstream it fetch()ed: reviews-v2-0's sidecar inbound (pod IP)
      await waitFor(
        "the edge's access-log line",
        () => edgeLines.some((l) => l.includes('"127.0.1.114:9080"')),
      );
    });

    it("sends everything else to productpage, whose sidecar applies the mesh's reviews VirtualService", async () => {
      const page = await viaEdge<ProductPage>("/productpage");
      expect(page.reviews.version).toBe("v1");
      const jason = await viaEdge<ProductPage>("/productpage", { "end-user": "jason" });
      expect(jason.user).toBe("jason");
      expect(jason.reviews.version).toBe("v2");
      expect(edgeLines.some((l) => l.includes('"127.0.1.116:9080"'))).toBe(true);
    });

    it("follows an edit of the edge VirtualService within seconds (header match at the edge)", async () => {
      const written = performance.now();
      writeFileSync(edgeFile(), edgeRoutes("v3", "v1"));
      await waitFor(
        "the edge to route jason's /reviews/ to v3",
        async () => (await viaEdge<Reviews>("/reviews/0", { "end-user": "jason" })).version === "v3",
        8000,
        50,
      );
      // refresh every 1 s (WEFT_REFRESH_SECONDS), started by a request, plus the control plane's debounce
      expect(performance.now() - written).toBeLessThan(5000);
      for (let i = 0; i < 5; i++) {
        const jason = await viaEdge<Reviews>("/reviews/0", { "end-user": "jason" });
        expect(jason.version).toBe("v3");
        expect(jason.reviews[0].rating).toEqual({ stars: 5, color: "red" });
        expect((await viaEdge<Reviews>("/reviews/0", { "end-user": "bob" })).version).toBe("v1");
        expect((await viaEdge<Reviews>("/reviews/0")).version).toBe("v1");
      }
      expect((await viaEdge<ProductPage>("/productpage")).reviews.version).toBe("v1");

      writeFileSync(edgeFile(), shipped);
      await waitFor(
        "the edge to return to the shipped routes",
        async () => (await viaEdge<Reviews>("/reviews/0", { "end-user": "bob" })).version === "v2",
        8000,
        50,
      );
      expect((await viaEdge<Reviews>("/reviews/0", { "end-user": "jason" })).version).toBe("v2");
      expect(edgeLines.some((l) => /rejected|cannot start/.test(l))).toBe(false);
      expect(meshLines.some((l) => l.startsWith("push failed"))).toBe(false);
    });
  },
);
