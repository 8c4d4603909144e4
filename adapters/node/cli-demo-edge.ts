// `weft demo --edge` (npm run demo:edge): the demo mesh plus the edge gateway Worker in workerd (wrangler dev).
import { startDemoMesh } from "./demo-mesh.ts";
import { startWranglerDev, wranglerDevProblem } from "./wrangler-dev.ts";

export interface EdgeDemoOptions {
  readonly configDir: string;
  readonly accessLog: boolean;
  /** The edge's port (default 8787, wrangler dev's). */
  readonly edgePort: number;
  /** How old the edge's config may get before a request refreshes it. */
  readonly refreshSeconds: number;
}

/** Runs until SIGINT/SIGTERM (or until wrangler exits); returns the exit code. */
export async function edgeDemo(o: EdgeDemoOptions): Promise<number> {
  const problem = wranglerDevProblem();
  if (problem) {
    console.error(`weft demo --edge: cannot run the edge Worker locally: ${problem}`);
    return 1;
  }
  const mesh = await startDemoMesh({ configDir: o.configDir, accessLog: o.accessLog });
  const controlUrl = `http://127.0.0.1:${mesh.control.xdsPort}`;
  console.log(
    `weft demo: mesh up; starting the edge Worker (wrangler dev, workerd) on 127.0.0.1:${o.edgePort}…`,
  );
  let ready = false;
  let edge;
  try {
    edge = await startWranglerDev({
      port: o.edgePort,
      vars: { WEFT_CONTROL_URL: controlUrl, WEFT_REFRESH_SECONDS: String(o.refreshSeconds) },
      log: (line) => {
        if (ready && line.trim() !== "") console.log(`edge | ${line}`);
      },
    });
  } catch (err) {
    console.error(`weft demo --edge: the edge Worker did not start: ${(err as Error).message}`);
    await mesh.close();
    return 1;
  }
  ready = true;
  const edgeUrl = `localhost:${o.edgePort}`;
  console.log(`
Weft edge demo is up: the demo mesh (as in npm start) and, in front of it, the edge gateway — the same proxy
core in a Cloudflare Worker (deploy/workers) running in workerd — which pulls its routes from the control plane
(EdgeConfigService, ${controlUrl}) as the router selected by ${o.configDir}/edge-gateway.yaml.

  curl -s ${edgeUrl}/reviews/0                          # edge VirtualService → reviews v2 (black stars) via its sidecar
  curl -s ${edgeUrl}/productpage                        # edge → productpage → reviews v1 (the mesh's VirtualService)
  curl -s -H 'end-user: jason' ${edgeUrl}/productpage   # edge → productpage → reviews v2 (the mesh's header route)
  curl -s localhost:8080/productpage                    # the Node ingress gateway, as in npm start

Now edit ${o.configDir}/edge-gateway.yaml — e.g. subset: v2 → v3 — and curl ${edgeUrl}/reviews/0 again:
red stars once the edge refreshes its config (at most every ${o.refreshSeconds} s, started by a request).
Lines from the edge (its access log) start with "edge |". Ctrl-C stops the edge and the mesh.
`);
  const why = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("signal"));
    process.once("SIGTERM", () => resolve("signal"));
    void edge.exited.then(() => resolve("edge"));
  });
  if (why === "edge") console.error(`weft demo --edge: wrangler exited:\n${edge.output().slice(-2000)}`);
  await edge.stop();
  await mesh.close();
  return why === "edge" ? 1 : 0;
}
