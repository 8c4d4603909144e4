// Pipeline → ADS server → grpc-js client on a real socket: first connect generates, requestPush delivers a change.
import { afterEach, describe, expect, it } from "vitest";
import { startControlServer } from "../../../adapters/node/control-server.ts";
import { adsRoutes } from "../../../control/xds/ads-service.ts";
import { createMetrics } from "../../../control/xds/metrics.ts";
import { createXdsPipeline } from "../../../control/xds/pipeline.ts";
import { createPushStatus } from "../../../control/xds/push-status.ts";
import { createSnapshotCache, type SnapshotResources } from "../../../control/xds/snapshot-cache.ts";
import { TYPE_URLS } from "../../../control/xds/snapshot.ts";
import type { Clock } from "../../../proxy/runtime/types.ts";
import { grpcJsSotwDriver, NODE_ID } from "./ads-harness.ts";
import { edsCluster, endpoints, meshResources, RATINGS, REVIEWS } from "./fixtures.ts";

const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("xDS pipeline end to end", () => {
  it("serves the generated snapshot and pushes a debounced change to the connected proxy", async () => {
    const DETAILS = "outbound|9080||details.default.svc.cluster.local";
    let world: SnapshotResources = meshResources();
    const cache = createSnapshotCache();
    const status = createPushStatus({ metrics: createMetrics(), now: realClock.now });
    const pipeline = createXdsPipeline({
      cache,
      status,
      clock: realClock,
      quietMs: 20,
      generate: () => world,
    });
    const server = await startControlServer({
      host: "127.0.0.1",
      port: 0,
      routes: adsRoutes({ cache, status, now: realClock.now, provider: pipeline.provider }),
    });
    cleanups.push(() => server.close(), () => pipeline.close());
    const d = grpcJsSotwDriver(server.port);
    cleanups.push(() => d.close());

    d.send({ typeUrl: TYPE_URLS.cluster, withNode: true });
    const r1 = await d.next();
    expect(r1.names).toEqual([REVIEWS, RATINGS]);
    expect(pipeline.connected().map((i) => i.id)).toEqual([NODE_ID]);
    d.send({ typeUrl: TYPE_URLS.cluster, versionInfo: r1.versionInfo, responseNonce: r1.nonce });
    await expect.poll(() => status.toJSON().proxies[0]?.types[TYPE_URLS.cluster]?.ackedVersion).toBe(
      r1.versionInfo,
    );

    world = {
      ...world,
      clusters: [...world.clusters, edsCluster(DETAILS)],
      endpoints: [...world.endpoints, endpoints(DETAILS, "10.0.3.1")],
    };
    pipeline.requestPush("ServiceEntry details added");
    pipeline.requestPush("EndpointSlice details changed");
    const r2 = await d.next();
    expect(r2.names).toEqual([REVIEWS, RATINGS, DETAILS]);
    d.send({ typeUrl: TYPE_URLS.cluster, versionInfo: r2.versionInfo, responseNonce: r2.nonce });
    await expect.poll(() => status.toJSON().proxies[0]?.types[TYPE_URLS.cluster]?.ackedVersion).toBe(
      r2.versionInfo,
    );
    expect(status.toJSON().lastPush?.reasons).toEqual([
      "ServiceEntry details added",
      "EndpointSlice details changed",
    ]);
    expect(status.metrics.value("pilot_proxy_convergence_time")).toBe(2);
    expect(await d.quiet()).toBe(true);
  });
});
