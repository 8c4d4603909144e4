// The Bookinfo demo mesh end to end: gateway → productpage → details/reviews → ratings through sidecars, live VirtualService edits.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoMesh, startDemoMesh } from "../../adapters/node/demo-mesh.ts";
import {
  allAcked,
  closeClients,
  copyConfigDir,
  freePort,
  get,
  getJson,
  type PushStatusView,
  ROOT,
  waitFor,
} from "../support/mesh.ts";
import { curl } from "../support/harness.ts";

interface ProductPage {
  readonly user: string | null;
  readonly details: { author?: string; error?: string };
  readonly reviews: {
    version?: string;
    error?: string;
    reviews?: { reviewer: string; rating?: { stars: number | string; color: string } }[];
  };
}

let dir: string;
let gatewayPort: number;
let mesh: DemoMesh;
const logs: string[] = [];
const reviewsFile = () => join(dir, "virtual-service-reviews.yaml");
const original = readFileSync(join(ROOT, "examples/mesh/virtual-service-reviews.yaml"), "utf8");

async function productpage(headers: Record<string, string> = {}): Promise<ProductPage> {
  const res = await get(`http://127.0.0.1:${gatewayPort}/productpage`, headers);
  if (res.status !== 200) throw new Error(`productpage answered ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as ProductPage;
}

const monitoring = (path: string) => `http://127.0.0.1:${mesh.control.monitoringPort}${path}`;
const pushStatus = () => getJson<PushStatusView>(monitoring("/debug/push_status"));

/** Waits until every proxy has ACKed what it was last sent (the mesh is quiet). */
const settled = () => waitFor("every proxy to ACK", async () => allAcked(await pushStatus()));

/** Writes the reviews VirtualService and waits until the control plane accepted it and every proxy ACKed the push. */
async function edit(text: string): Promise<void> {
  const before = mesh.control.controlPlane.store.version;
  writeFileSync(reviewsFile(), text);
  const version = await waitFor(
    "the edit to be loaded",
    () => {
      const v = mesh.control.controlPlane.store.version;
      return v > before ? v : undefined;
    },
    3000,
    5,
  );
  await waitFor(`config version ${version} to be pushed and ACKed`, async () => {
    const status = await pushStatus() as PushStatusView & { lastPush?: { reasons: string[] } };
    return status.lastPush?.reasons.includes(`config version ${version}`) === true && allAcked(status);
  });
}

/** Default-route VirtualService for reviews with a weighted split, plus optional header routes (user → subset). */
function reviewsVirtualService(weights: Record<string, number>, users: Record<string, string> = {}): string {
  const headerRoutes = Object.entries(users).map(([user, subset]) =>
    `    - match:
        - headers:
            end-user:
              exact: ${user}
      route:
        - destination:
            host: reviews
            subset: ${subset}
`
  ).join("");
  const split = Object.entries(weights).map(([subset, weight]) =>
    `        - destination:
            host: reviews
            subset: ${subset}
          weight: ${weight}
`
  ).join("");
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
${headerRoutes}    - route:
${split}`;
}

beforeAll(async () => {
  gatewayPort = await freePort();
  dir = copyConfigDir(
    join(ROOT, "examples/mesh"),
    (file, text) => file === "gateway.yaml" ? text.replace("number: 8080", `number: ${gatewayPort}`) : text,
  );
  mesh = await startDemoMesh({ configDir: dir, xdsPort: 0, monitoringPort: 0, log: (l) => logs.push(l) });
  await waitFor("the gateway to serve /productpage", () => productpage(), 10_000, 50);
  await settled();
}, 20_000);

afterAll(async () => {
  await mesh?.close();
  await closeClients();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("Bookinfo through the ingress gateway", () => {
  it("serves productpage with details and reviews v1 (no stars)", async () => {
    for (let i = 0; i < 5; i++) {
      const page = await productpage();
      expect(page.details.author).toBe("William Shakespeare");
      expect(page.reviews.version).toBe("v1");
      expect(page.reviews.reviews).toHaveLength(2);
      expect(page.reviews.reviews?.every((r) => r.rating === undefined)).toBe(true);
    }
  });

  it("routes end-user jason to reviews v2, which gets black-star ratings through its own sidecar", async () => {
    for (let i = 0; i < 5; i++) {
      const page = await productpage({ "end-user": "jason" });
      expect(page.user).toBe("jason");
      expect(page.reviews.version).toBe("v2");
      expect(page.reviews.reviews?.map((r) => r.rating)).toEqual([
        { stars: 5, color: "black" },
        { stars: 4, color: "black" },
      ]);
    }
  });

  it("has every sidecar and the gateway connected with every type ACKed", async () => {
    const status = await pushStatus();
    const ids = status.proxies.map((p) => p.identity.id).sort();
    expect(ids).toEqual([
      "router~127.0.0.1~istio-ingressgateway-0.default~default.svc.cluster.local",
      "sidecar~127.0.1.11~details-v1-0.default~default.svc.cluster.local",
      "sidecar~127.0.1.12~ratings-v1-0.default~default.svc.cluster.local",
      "sidecar~127.0.1.13~reviews-v1-0.default~default.svc.cluster.local",
      "sidecar~127.0.1.14~reviews-v2-0.default~default.svc.cluster.local",
      "sidecar~127.0.1.15~reviews-v3-0.default~default.svc.cluster.local",
      "sidecar~127.0.1.16~productpage-v1-0.default~default.svc.cluster.local",
    ]);
    expect(mesh.sidecars.size).toBe(6);
    for (const p of status.proxies) {
      const types = Object.keys(p.types).map((t) => t.split(".").pop()).sort();
      expect(types, p.identity.id).toEqual(
        ["Cluster", "ClusterLoadAssignment", "Listener", "RouteConfiguration"],
      );
      for (const t of Object.values(p.types)) {
        expect(t.ackedVersion, p.identity.id).toBeDefined();
        expect(t.ackedVersion).toBe(t.sentVersion);
        expect(t.lastNack).toBeUndefined();
      }
    }
    expect(status.rejectedSnapshots).toEqual({});
    const metrics = (await get(monitoring("/metrics"))).body;
    expect(metrics).toMatch(/^pilot_xds 7$/m);
    expect(metrics).not.toMatch(/^pilot_total_xds_rejects/m);
  });
});

describe("editing the reviews VirtualService while traffic flows", () => {
  it("moves traffic to a 50/50 v1/v3 split within a second, then holds 50% ± 12 over 200 requests", async () => {
    const written = performance.now();
    writeFileSync(reviewsFile(), reviewsVirtualService({ v1: 50, v3: 50 }));
    const first = await waitFor(
      "a reviews v3 response",
      async () => {
        const page = await productpage();
        return page.reviews.version === "v3" ? page : undefined;
      },
      3000,
      5,
    );
    const elapsed = performance.now() - written;
    expect(elapsed).toBeLessThan(1000);
    // v3 calls ratings through its sidecar: red stars
    expect(first.reviews.reviews?.[0].rating).toEqual({ stars: 5, color: "red" });
    await settled();

    const versions = new Map<string, number>();
    for (let batch = 0; batch < 10; batch++) {
      const pages = await Promise.all(Array.from({ length: 20 }, () => productpage()));
      for (const p of pages) versions.set(p.reviews.version!, (versions.get(p.reviews.version!) ?? 0) + 1);
    }
    expect([...versions.keys()].sort()).toEqual(["v1", "v3"]);
    const share = (versions.get("v3") ?? 0) / 200;
    expect(share).toBeGreaterThanOrEqual(0.38);
    expect(share).toBeLessThanOrEqual(0.62);
  });

  it("applies a header route for one user added by an edit, leaving everyone else on the split", async () => {
    await edit(reviewsVirtualService({ v1: 100 }, { jason: "v2", alice: "v3" }));
    for (let i = 0; i < 10; i++) {
      expect((await productpage({ "end-user": "alice" })).reviews.version).toBe("v3");
      expect((await productpage({ "end-user": "jason" })).reviews.version).toBe("v2");
      expect((await productpage({ "end-user": "bob" })).reviews.version).toBe("v1");
      expect((await productpage()).reviews.version).toBe("v1");
    }
  });

  it("returns to the shipped config: everyone on v1, jason on v2, all ACKed", async () => {
    await edit(original);
    expect((await productpage({ "end-user": "alice" })).reviews.version).toBe("v1");
    expect((await productpage({ "end-user": "jason" })).reviews.version).toBe("v2");
    const status = await pushStatus();
    expect(status.proxies).toHaveLength(7);
    expect(allAcked(status)).toBe(true);
    expect(logs.some((l) => l.startsWith("push failed"))).toBe(false);
  });
});

describe("the registration API (Connect protocol, as in docs/control-plane.md)", () => {
  it("registers a workload with curl; sidecars route to it; deregistering removes it", async () => {
    const orders = createServer((_req, res) => res.end("orders v1\n"));
    await new Promise<void>((r) => orders.listen(9090, "127.0.2.50", r));
    try {
      const api = `http://127.0.0.1:${mesh.control.xdsPort}/weft.registry.v1.RegistryService`;
      const register = await curl([
        "-H",
        "content-type: application/json",
        "-d",
        JSON.stringify({
          instance: {
            service: "orders",
            address: "127.0.2.50",
            port: 9090,
            labels: { app: "orders", version: "v1" },
            ttlSeconds: 60,
          },
        }),
        `${api}/Register`,
      ]);
      expect(register.status).toBe(200);
      const { instance } = JSON.parse(register.body) as { instance: { id: string; expiresAt: string } };
      expect(instance.id).toBe("orders.default.svc.cluster.local/127.0.2.50:9090#1");
      // a valid RFC 3339 timestamp about a minute from now
      expect(instance.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
      expect(Date.parse(instance.expiresAt) - Date.now()).toBeGreaterThan(55_000);

      const registry = await getJson<
        { services: { hostname: string; registry: string; instances: unknown[] }[] }
      >(
        monitoring("/debug/registry"),
      );
      const svc = registry.services.find((x) => x.hostname === "orders.default.svc.cluster.local");
      expect(svc?.registry).toBe("registration");
      expect(svc?.instances).toHaveLength(1);

      // productpage's sidecar gets an outbound listener for the new port and routes to the registered address
      const viaSidecar = () => get("http://127.0.3.16:9090/", { host: "orders:9090" });
      const reply = await waitFor("orders through productpage's sidecar", async () => {
        const r = await viaSidecar();
        return r.status === 200 ? r : undefined;
      }, 3000);
      expect(reply.body).toBe("orders v1\n");

      const deregister = await curl([
        "-H",
        "content-type: application/json",
        "-d",
        JSON.stringify({ id: instance.id }),
        `${api}/Deregister`,
      ]);
      expect(deregister.status).toBe(200);
      await waitFor("orders to leave the mesh", async () => {
        const r = await viaSidecar().catch(() => undefined);
        return r === undefined || r.status !== 200;
      }, 3000);
      await settled();
    } finally {
      orders.closeAllConnections();
      orders.close();
    }
  });
});
