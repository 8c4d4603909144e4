// The xDS pipeline with a fake clock: first-connect generation, debounced pushes, refusing inconsistent snapshots.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { NodeSchema } from "../../../gen/envoy/config/core/v3/base_pb.ts";
import type { ProxyIdentity } from "../../../control/model/types.ts";
import { createMetrics } from "../../../control/xds/metrics.ts";
import { parseProxyIdentity } from "../../../control/xds/node-identity.ts";
import { createXdsPipeline } from "../../../control/xds/pipeline.ts";
import { createPushStatus } from "../../../control/xds/push-status.ts";
import { createSnapshotCache, type SnapshotResources } from "../../../control/xds/snapshot-cache.ts";
import { TYPE_URLS } from "../../../control/xds/snapshot.ts";
import { createFakeClock } from "./fake-clock.ts";
import { meshResources, REVIEWS, routeConfig } from "./fixtures.ts";

function setup() {
  const clock = createFakeClock(0);
  const cache = createSnapshotCache();
  const status = createPushStatus({ metrics: createMetrics(), now: clock.now });
  let world: SnapshotResources = meshResources(["10.0.0.1"]);
  const generated: string[] = [];
  const pipeline = createXdsPipeline({
    cache,
    clock,
    status,
    quietMs: 100,
    maxDelayMs: 1_000,
    generate: (identity: ProxyIdentity) => {
      generated.push(identity.id);
      return world;
    },
  });
  const node = create(NodeSchema, { id: "sidecar~10.0.0.9~pp-1.default~default.svc.cluster.local" });
  const identity = parseProxyIdentity(node);
  return {
    clock,
    cache,
    status,
    pipeline,
    node,
    identity,
    generated,
    setWorld: (w: SnapshotResources) => world = w,
  };
}

const reviewsEndpoints = (s: ReturnType<typeof setup>) =>
  s.cache.get(s.identity.id)?.resources.get(TYPE_URLS.endpoint)?.get(REVIEWS)?.version;

describe("createXdsPipeline", () => {
  it("generates and publishes a snapshot on first connect", async () => {
    const s = setup();
    s.pipeline.provider.onProxyConnected?.(s.identity, s.node);
    const snapshot = await s.pipeline.provider.snapshotFor(s.identity, s.node);
    expect(snapshot).toBeDefined();
    expect(s.cache.get(s.identity.id)).toBe(snapshot);
    expect(s.pipeline.connected().map((i) => i.id)).toEqual([s.identity.id]);
  });

  it("debounces pushes and regenerates only for connected proxies", async () => {
    const s = setup();
    s.pipeline.provider.onProxyConnected?.(s.identity, s.node);
    await s.pipeline.provider.snapshotFor(s.identity, s.node);
    const before = reviewsEndpoints(s);
    const seen: string[] = [];
    s.cache.watch(s.identity.id, (snap) => seen.push(snap.version));

    s.setWorld(meshResources(["10.0.0.2"]));
    s.pipeline.requestPush("endpoints reviews");
    await s.clock.advance(50);
    s.pipeline.requestPush("endpoints reviews again");
    await s.clock.advance(99);
    expect(seen).toEqual([]);
    await s.clock.advance(1);
    expect(seen).toHaveLength(1);
    expect(reviewsEndpoints(s)).not.toBe(before);
    expect(s.status.toJSON().lastPush).toEqual({
      reasons: ["endpoints reviews", "endpoints reviews again"],
      startedAt: 0,
      finishedAt: 150,
      proxies: 1,
    });
    expect(s.generated).toHaveLength(2);

    // Regenerating the same world publishes nothing new.
    s.pipeline.requestPush("no-op");
    await s.pipeline.flush();
    expect(seen).toHaveLength(1);

    s.pipeline.provider.onProxyDisconnected?.(s.identity);
    expect(s.cache.get(s.identity.id)).toBeUndefined();
    s.pipeline.requestPush("nobody listening");
    await s.pipeline.flush();
    expect(s.generated).toHaveLength(3);
  });

  it("does not publish an inconsistent snapshot; records why and keeps the last good one", async () => {
    const s = setup();
    s.pipeline.provider.onProxyConnected?.(s.identity, s.node);
    const good = await s.pipeline.provider.snapshotFor(s.identity, s.node);
    s.setWorld({
      ...meshResources(),
      routes: [routeConfig("9080", "outbound|9080|v9|reviews.default.svc.cluster.local")],
    });
    s.pipeline.requestPush("bad virtual service");
    await s.pipeline.flush();
    expect(s.cache.get(s.identity.id)).toBe(good);
    const rejected = s.status.toJSON().rejectedSnapshots[s.identity.id];
    expect(rejected.problems).toEqual([
      'route configuration "9080" refers to cluster "outbound|9080|v9|reviews.default.svc.cluster.local", which is not in the snapshot',
    ]);
    expect(s.status.metrics.value("weft_xds_inconsistent_snapshots")).toBe(1);
    // Fixed config publishes again and clears the record.
    s.setWorld(meshResources(["10.0.0.3"]));
    s.pipeline.requestPush("fixed");
    await s.pipeline.flush();
    expect(s.cache.get(s.identity.id)).not.toBe(good);
    expect(s.status.toJSON().rejectedSnapshots).toEqual({});
  });

  it("a first connect with an inconsistent world yields no snapshot (the stream waits)", async () => {
    const s = setup();
    s.setWorld({ ...meshResources(), endpoints: [] });
    s.pipeline.provider.onProxyConnected?.(s.identity, s.node);
    expect(await s.pipeline.provider.snapshotFor(s.identity, s.node)).toBeUndefined();
    expect(s.status.toJSON().rejectedSnapshots[s.identity.id].problems).toHaveLength(2);
  });
});

describe("a push to many proxies", () => {
  it("lets the event loop run every 10 ms of publishing, so the first proxies' responses leave early", async () => {
    const clock = createFakeClock(0);
    const events: string[] = [];
    // Zero-delay timers are the pipeline's pauses; time moves 4 ms per proxy generated.
    const pausing = {
      ...clock,
      setTimeout(fn: () => void, ms: number) {
        if (ms === 0) events.push("pause");
        return clock.setTimeout(fn, ms);
      },
    };
    let pushing = false;
    let now = 0;
    const pipeline = createXdsPipeline({
      cache: createSnapshotCache(),
      clock: { ...pausing, now: () => now },
      status: createPushStatus({ metrics: createMetrics(), now: () => now }),
      quietMs: 100,
      generate: (identity: ProxyIdentity) => {
        if (pushing) {
          events.push(identity.id.split("~")[1]);
          now += 4;
        }
        return meshResources(["10.0.0.1"]);
      },
    });
    for (let i = 1; i <= 7; i++) {
      const node = create(NodeSchema, {
        id: `sidecar~10.0.1.${i}~pp-${i}.default~default.svc.cluster.local`,
      });
      const identity = parseProxyIdentity(node);
      pipeline.provider.onProxyConnected?.(identity, node);
      await pipeline.provider.snapshotFor(identity, node);
    }
    pushing = true;
    pipeline.requestPush("endpoints");
    const flushed = pipeline.flush();
    for (let i = 0; i < 3; i++) await clock.advance(0); // each advance fires the pause the push is waiting in
    await flushed;
    expect(events).toEqual([
      "10.0.1.1",
      "10.0.1.2",
      "10.0.1.3",
      "pause",
      "10.0.1.4",
      "10.0.1.5",
      "10.0.1.6",
      "pause",
      "10.0.1.7",
    ]);
  });
});

describe("push status and metrics", () => {
  it("tracks sent/acked/nacked per proxy and type and renders Prometheus text", () => {
    let now = 1_000;
    const status = createPushStatus({ metrics: createMetrics(), now: () => now });
    const identity = parseProxyIdentity(create(NodeSchema, { id: "grpc-client" }));
    status.proxyConnected("grpc-client-1", identity, "sotw");
    status.changeStarted(500);
    status.responseSent("grpc-client-1", TYPE_URLS.listener, "v1", "1", 500);
    now = 1_400;
    status.ackReceived("grpc-client-1", TYPE_URLS.listener, "v1", "1");
    status.responseSent("grpc-client-1", TYPE_URLS.cluster, "c1", "2", 1_400);
    status.nackReceived("grpc-client-1", TYPE_URLS.cluster, "c1", "2", "bad");
    expect(status.toJSON().proxies[0]).toMatchObject({
      connectionId: "grpc-client-1",
      protocol: "sotw",
      identity: { type: "proxyless" },
      types: {
        [TYPE_URLS.listener]: { sentVersion: "v1", ackedVersion: "v1", ackedAt: 1_400 },
        [TYPE_URLS.cluster]: {
          sentVersion: "c1",
          lastNack: { version: "c1", message: "bad", nonce: "2", at: 1_400 },
        },
      },
    });
    const text = status.metrics.render();
    expect(text).toContain("# TYPE pilot_xds gauge\npilot_xds 1\n");
    expect(text).toContain('pilot_xds_pushes{type="lds"} 1');
    expect(text).toContain('pilot_xds_pushes{type="cds"} 1');
    expect(text).toContain('pilot_total_xds_rejects{type="cds"} 1');
    // 0.9 s from change to ACK lands in the 1 s bucket, not the 0.5 s one.
    expect(text).toContain('pilot_proxy_convergence_time_bucket{le="0.5"} 0');
    expect(text).toContain('pilot_proxy_convergence_time_bucket{le="1"} 1');
    expect(text).toContain("pilot_proxy_convergence_time_sum 0.9");
    expect(text).toContain('pilot_xds_push_time_bucket{type="lds",le="+Inf"} 1');
    status.proxyDisconnected("grpc-client-1");
    expect(status.metrics.value("pilot_xds")).toBe(0);
  });
});
