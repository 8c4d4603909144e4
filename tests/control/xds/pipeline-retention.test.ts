// The pipeline lets go of a node's snapshots once the node is gone: its last publish is kept only while connected.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { NodeSchema } from "../../../gen/envoy/config/core/v3/base_pb.ts";
import { createMetrics } from "../../../control/xds/metrics.ts";
import { parseProxyIdentity } from "../../../control/xds/node-identity.ts";
import { createXdsPipeline } from "../../../control/xds/pipeline.ts";
import { createPushStatus } from "../../../control/xds/push-status.ts";
import { createSnapshotCache } from "../../../control/xds/snapshot-cache.ts";
import { createFakeClock } from "./fake-clock.ts";
import { meshResources } from "./fixtures.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** After the current task (WeakRefs made in it can be cleared only then), a full GC. */
const collect = async () => {
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
};

function setup() {
  const clock = createFakeClock(0);
  const pipeline = createXdsPipeline({
    cache: createSnapshotCache(),
    clock,
    status: createPushStatus({ metrics: createMetrics(), now: clock.now }),
    generate: () => meshResources(["10.0.0.1"]),
  });
  const node = create(NodeSchema, { id: "sidecar~10.0.0.9~pp-1.default~default.svc.cluster.local" });
  return { pipeline, node, identity: parseProxyIdentity(node) };
}

describe("createXdsPipeline: what it keeps of a node", () => {
  it("nothing, once a connected node has disconnected", async () => {
    const s = setup();
    s.pipeline.provider.onProxyConnected?.(s.identity, s.node);
    const snapshot = new WeakRef((await s.pipeline.provider.snapshotFor(s.identity, s.node))!);
    await collect();
    expect(snapshot.deref()).toBeDefined(); // current while connected
    s.pipeline.provider.onProxyDisconnected?.(s.identity);
    await collect();
    expect(snapshot.deref()).toBeUndefined();
  });

  it("nothing, when it disconnects while the next push's snapshots are being prepared", async () => {
    const clock = createFakeClock(0);
    let generation = {};
    let ip = 1;
    const latest = new Map<string, WeakRef<object>>();
    const pipeline = createXdsPipeline({
      cache: createSnapshotCache(),
      clock,
      status: createPushStatus({ metrics: createMetrics(), now: clock.now }),
      generation: () => generation,
      generate: (identity) => {
        const resources = meshResources([`10.0.0.${ip++}`]); // new endpoints: not the previous snapshot's
        latest.set(identity.id, new WeakRef(resources.endpoints![0]));
        return resources;
      },
    });
    const nodes = ["pp-1", "pp-2"].map((pod, i) => {
      const node = create(NodeSchema, {
        id: `sidecar~10.0.0.${9 - i}~${pod}.default~default.svc.cluster.local`,
      });
      return { node, identity: parseProxyIdentity(node) };
    });
    for (const { node, identity } of nodes) {
      pipeline.provider.onProxyConnected?.(identity, node);
      await pipeline.provider.snapshotFor(identity, node);
    }
    generation = {};
    const preparing = pipeline.prepare(); // runs up to its first await: the first node's generation
    pipeline.provider.onProxyDisconnected?.(nodes[1].identity);
    await preparing;
    await collect();
    expect(latest.get(nodes[1].identity.id)!.deref()).toBeUndefined(); // prepared after it left: not kept
    expect(latest.get(nodes[0].identity.id)!.deref()).toBeDefined(); // still connected: its prepared snapshot
  });
});
