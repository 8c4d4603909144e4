// What a push publishes: snapshots prepared during the quiet period, nothing when nothing changed, and a node's
// identity at the moment of publishing (a reconnect during a push).
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { NodeSchema } from "../../../gen/envoy/config/core/v3/base_pb.ts";
import { createMetrics } from "../../../control/xds/metrics.ts";
import { parseProxyIdentity } from "../../../control/xds/node-identity.ts";
import { createXdsPipeline } from "../../../control/xds/pipeline.ts";
import { createPushStatus } from "../../../control/xds/push-status.ts";
import {
  buildSnapshot,
  createSnapshotCache,
  type SnapshotResources,
} from "../../../control/xds/snapshot-cache.ts";
import { TYPE_URLS } from "../../../control/xds/snapshot.ts";
import { createFakeClock } from "./fake-clock.ts";
import { meshResources, REVIEWS } from "./fixtures.ts";

describe("createXdsPipeline prepare", () => {
  /** A pipeline whose generation the test sets, and which counts generate calls. */
  function preparing() {
    const clock = createFakeClock(0);
    const cache = createSnapshotCache();
    const status = createPushStatus({ metrics: createMetrics(), now: clock.now });
    let world: SnapshotResources = meshResources(["10.0.0.1"]);
    let generation: object | undefined = {};
    let calls = 0;
    const pipeline = createXdsPipeline({
      cache,
      clock,
      status,
      quietMs: 100,
      generate: () => (calls++, world),
      generation: () => generation,
    });
    const identities = ["pp-1", "pp-2", "pp-3"].map((pod, i) => {
      const node = create(NodeSchema, {
        id: `sidecar~10.0.0.${i + 1}~${pod}.default~default.svc.cluster.local`,
      });
      return { node, identity: parseProxyIdentity(node) };
    });
    return {
      clock,
      cache,
      pipeline,
      identities,
      calls: () => calls,
      /** Connects every identity and waits for its first snapshot. */
      async connectAll() {
        for (const { identity, node } of identities) {
          pipeline.provider.onProxyConnected?.(identity, node);
          await pipeline.provider.snapshotFor(identity, node);
        }
      },
      change: (w: SnapshotResources) => {
        world = w;
        generation = {};
      },
    };
  }

  it("publishes the snapshots prepared during the quiet period without generating them again", async () => {
    const p = preparing();
    await p.connectAll();
    p.change(meshResources(["10.0.0.2"]));
    p.pipeline.requestPush("endpoints reviews");
    const before = p.calls();
    await p.pipeline.prepare();
    expect(p.calls() - before).toBe(3);
    // Prepared, not published: the proxies still hold the old endpoints until the push.
    const held = p.cache.get(p.identities[0].identity.id);
    await p.clock.advance(99);
    expect(p.cache.get(p.identities[0].identity.id)).toBe(held);
    await p.clock.advance(1);
    expect(p.calls() - before).toBe(3);
    for (const { identity } of p.identities) {
      const endpoints = p.cache.get(identity.id)?.resources.get(TYPE_URLS.endpoint)?.get(REVIEWS);
      expect(endpoints).not.toBe(held?.resources.get(TYPE_URLS.endpoint)?.get(REVIEWS));
    }
  });

  it("does not push again while nothing it generates from has changed", async () => {
    const p = preparing();
    await p.connectAll();
    p.change(meshResources(["10.0.0.2"]));
    p.pipeline.requestPush("endpoints reviews");
    await p.clock.advance(100);
    const afterPush = p.calls();
    expect(afterPush).toBe(6);
    // A file event whose re-read found nothing new: the generation is the one just pushed.
    p.pipeline.requestPush("config files changed");
    await p.clock.advance(100);
    expect(p.calls()).toBe(afterPush);
    p.change(meshResources(["10.0.0.3"]));
    p.pipeline.requestPush("endpoints reviews again");
    await p.clock.advance(100);
    expect(p.calls()).toBe(afterPush + 3);
  });

  it("generates again what another change made stale before the push", async () => {
    const p = preparing();
    const [{ identity, node }] = p.identities;
    p.pipeline.provider.onProxyConnected?.(identity, node);
    await p.pipeline.provider.snapshotFor(identity, node);
    p.change(meshResources(["10.0.0.2"]));
    p.pipeline.requestPush("first edit");
    await p.pipeline.prepare();
    const afterPrepare = p.calls();
    p.change(meshResources(["10.0.0.3"]));
    p.pipeline.requestPush("second edit");
    await p.clock.advance(100);
    expect(p.calls()).toBe(afterPrepare + 1);
    const third = buildSnapshot(meshResources(["10.0.0.3"]));
    expect(p.cache.get(identity.id)?.resources.get(TYPE_URLS.endpoint)?.get(REVIEWS)?.version)
      .toBe(third.resources.get(TYPE_URLS.endpoint)?.get(REVIEWS)?.version);
  });
});

describe("createXdsPipeline, a node reconnecting during a push", () => {
  it("keeps the snapshot of its new identity, not the one it had when the push started", async () => {
    const clock = createFakeClock(0);
    const cache = createSnapshotCache();
    const status = createPushStatus({ metrics: createMetrics(), now: clock.now });
    const nodeOf = (i: number) =>
      create(NodeSchema, { id: `sidecar~10.0.2.${i}~pp-${i}.default~default.svc.cluster.local` });
    const [first, moving] = [nodeOf(1), nodeOf(2)];
    const firstId = parseProxyIdentity(first);
    const before = parseProxyIdentity(moving);
    const after = parseProxyIdentity(moving); // same node id, another identity (as after a reconnect)
    let release = () => {};
    const hold = new Promise<void>((resolve) => release = resolve);
    let holding = false;
    let entered = () => {};
    const blocked = new Promise<void>((resolve) => entered = resolve);
    const pipeline = createXdsPipeline({
      cache,
      clock,
      status,
      quietMs: 100,
      generation: () => ({}),
      generate: async (identity) => {
        if (identity === firstId && holding) {
          entered();
          await hold;
        }
        return meshResources([identity === after ? "10.0.9.9" : "10.0.0.1"]);
      },
    });
    for (const [identity, node] of [[firstId, first], [before, moving]] as const) {
      pipeline.provider.onProxyConnected?.(identity, node);
      await pipeline.provider.snapshotFor(identity, node);
    }
    holding = true;
    pipeline.requestPush("endpoints");
    const pushed = pipeline.flush();
    await blocked; // the push has listed the nodes and waits in the first one's generation
    pipeline.provider.onProxyConnected?.(after, moving);
    await pipeline.provider.snapshotFor(after, moving);
    release();
    await pushed;
    const expected = buildSnapshot(meshResources(["10.0.9.9"])).resources.get(TYPE_URLS.endpoint)?.get(
      REVIEWS,
    );
    expect(cache.get(after.id)?.resources.get(TYPE_URLS.endpoint)?.get(REVIEWS)?.version).toBe(
      expected?.version,
    );
  });
});
