// A real control plane for the workerd tests: Istio YAML in a temp directory → createControlPlane → its routes.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ControlServer, startControlServer } from "../../../adapters/node/control-server.ts";
import { createNodeFileSystem } from "../../../adapters/node/node-file-system.ts";
import { createControlPlane } from "../../../control/control-plane.ts";
import type { Clock } from "../../../proxy/runtime/types.ts";

const clock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The edge Gateway, two external services on loopback ports, and the VirtualService that splits between them. */
export function meshYaml(shopPort: number, searchPort: number): string {
  return `apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: { name: edge-gateway, namespace: edge }
spec:
  selector: { istio: edgegateway }
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["*"]
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: shop, namespace: edge }
spec:
  hosts: [shop.example.internal]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: STATIC
  endpoints: [{ address: 127.0.0.1, ports: { http: ${shopPort} } }]
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: search, namespace: edge }
spec:
  hosts: [search.example.internal]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: STATIC
  endpoints: [{ address: 127.0.0.1, ports: { http: ${searchPort} } }]
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: edge-routes, namespace: edge }
spec:
  hosts: ["*"]
  gateways: [edge-gateway]
  http:
    - match: [{ uri: { prefix: /shop } }]
      route: [{ destination: { host: shop.example.internal, port: { number: 80 } } }]
    - match: [{ headers: { x-beta: { exact: "1" } } }]
      route: [{ destination: { host: search.example.internal, port: { number: 80 } } }]
      headers: { response: { set: { x-edge-route: beta } } }
    - route: [{ destination: { host: search.example.internal, port: { number: 80 } } }]
`;
}

export interface MeshControl {
  readonly url: string;
  close(): Promise<void>;
}

export async function startMeshControl(shopPort: number, searchPort: number): Promise<MeshControl> {
  const dir = await mkdtemp(join(tmpdir(), "weft-edge-mesh-"));
  await writeFile(join(dir, "edge.yaml"), meshYaml(shopPort, searchPort));
  const cp = createControlPlane({
    clock,
    now: () => Date.now(),
    fs: createNodeFileSystem(),
    configDir: dir,
    log: () => {},
    quietMs: 10,
  });
  const problems = await cp.start();
  if (problems.some((p) => p.severity === "error")) {
    throw new Error(`mesh config: ${problems.map((p) => p.message).join("; ")}`);
  }
  let server: ControlServer;
  try {
    server = await startControlServer({
      host: "127.0.0.1",
      port: 0,
      routes: (router) => cp.routes(router),
    });
  } catch (err) {
    cp.close();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${server.port}`,
    async close() {
      await server.close();
      cp.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
