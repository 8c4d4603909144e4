// The deployable edge gateway (deploy/workers/worker.ts) in workerd against a whole control plane: Istio Gateway
// + VirtualService YAML → translation for the gateway identity → EdgeConfigService → routed requests.
import { describe, expect, inject, it } from "vitest";
import gateway, { edgeNode, type Env, parseLabels } from "../../deploy/workers/worker.ts";
import { createTestContext, echoOf } from "./support/edge-helpers.ts";
import { EDGE_NODE_ID } from "./support/provided.ts";

const ctx = inject("workers");
const env: Env = {
  WEFT_CONTROL_URL: ctx.meshControlUrl,
  WEFT_NODE_ID: EDGE_NODE_ID,
  WEFT_NAMESPACE: "edge",
  WEFT_GATEWAY_LABELS: "istio=edgegateway",
  WEFT_REFRESH_SECONDS: "60",
};

async function send(path: string, headers: Record<string, string> = {}) {
  const c = createTestContext();
  const res = await gateway.fetch(
    new Request(`https://www.example.com${path}`, { headers }),
    env,
    c as never,
  );
  await c.settle();
  return res;
}

describe("the edge gateway worker", () => {
  it("routes by the VirtualService the control plane translated for its Gateway", async () => {
    const [, shopPort, searchPort] = ctx.upstreamPorts;
    const shop = await send("/shop/cart?item=7");
    expect(shop.status).toBe(200);
    const seen = await echoOf(shop);
    expect(seen.port).toBe(shopPort);
    expect(seen.path).toBe("/shop/cart?item=7");

    const beta = await send("/search?q=weft", { "x-beta": "1" });
    expect(beta.headers.get("x-edge-route")).toBe("beta");
    expect((await echoOf(beta)).port).toBe(searchPort);

    const fallback = await send("/anything");
    expect(fallback.headers.get("x-edge-route")).toBeNull();
    expect((await echoOf(fallback)).port).toBe(searchPort);
  });

  it("reads its identity from vars: node id, namespace and the labels that select the Gateway", () => {
    expect(parseLabels("istio=edgegateway, app = edge,broken")).toEqual({
      istio: "edgegateway",
      app: "edge",
    });
    const node = edgeNode({ WEFT_NAMESPACE: "edge-system", WEFT_CLUSTER_ID: "east" });
    expect(node.id).toBe("router~0.0.0.0~weft-edge.edge-system~edge-system.svc.cluster.local");
    expect(node.metadata).toEqual({
      NAMESPACE: "edge-system",
      LABELS: { istio: "edgegateway" },
      CLUSTER_ID: "east",
    });
  });
});
