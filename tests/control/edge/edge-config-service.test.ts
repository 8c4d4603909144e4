// EdgeConfigService: Fetch (whole snapshot, not-modified by version) and Watch (each new version), in process.
import { create } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { edgeConfigRoutes } from "../../../control/edge/edge-config-service.ts";
import { createMetrics } from "../../../control/xds/metrics.ts";
import { createXdsPipeline } from "../../../control/xds/pipeline.ts";
import { createPushStatus } from "../../../control/xds/push-status.ts";
import {
  buildSnapshot,
  createSnapshotCache,
  type SnapshotResources,
} from "../../../control/xds/snapshot-cache.ts";
import type { SnapshotProvider } from "../../../control/xds/xds-stream.ts";
import { ClusterSchema } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { NodeSchema } from "../../../gen/envoy/config/core/v3/base_pb.ts";
import { EdgeConfigService } from "../../../gen/weft/edge/v1/edge_pb.ts";
import { createFakeClock } from "../xds/fake-clock.ts";
import { edsCluster, endpoints, meshResources, RATINGS, REVIEWS } from "../xds/fixtures.ts";

const EDGE = "router~10.0.9.1~edge-1.edge~edge.svc.cluster.local";
const node = create(NodeSchema, { id: EDGE, metadata: { LABELS: { istio: "edgegateway" } } });

function setup(provider?: (cache: ReturnType<typeof createSnapshotCache>) => SnapshotProvider) {
  const cache = createSnapshotCache();
  const routes = edgeConfigRoutes({
    cache,
    provider: provider?.(cache) ?? { snapshotFor: (identity) => cache.get(identity.id) },
  });
  const client = createClient(EdgeConfigService, createRouterTransport(routes));
  return { cache, client };
}

describe("EdgeConfigService.Fetch", () => {
  it("answers with every resource of the node's snapshot, clusters first, and the snapshot version", async () => {
    const { cache, client } = setup();
    const snapshot = buildSnapshot(meshResources());
    cache.set(EDGE, snapshot);
    const config = await client.fetch({ node });
    expect(config.version).toBe(snapshot.version);
    expect(config.notModified).toBe(false);
    expect(config.resources.map((r) => r.typeUrl.split(".").pop())).toEqual([
      "Cluster",
      "Cluster",
      "ClusterLoadAssignment",
      "ClusterLoadAssignment",
      "Listener",
      "RouteConfiguration",
      "RouteConfiguration",
    ]);
    expect(config.resources.slice(0, 2).map((r) => anyUnpack(r, ClusterSchema)!.name)).toEqual([
      RATINGS,
      REVIEWS,
    ]);
  });

  it("answers not_modified without resources when the proxy already holds the version", async () => {
    const { cache, client } = setup();
    const snapshot = buildSnapshot(meshResources());
    cache.set(EDGE, snapshot);
    const config = await client.fetch({ node, knownVersion: snapshot.version });
    expect(config).toMatchObject({ version: snapshot.version, notModified: true, resources: [] });
    const stale = await client.fetch({ node, knownVersion: "0000000000000000" });
    expect(stale.resources).toHaveLength(7);
  });

  it("needs the node, and says Unavailable while nothing can be published for it", async () => {
    const { client } = setup();
    await expect(client.fetch({})).rejects.toMatchObject({ code: Code.InvalidArgument });
    const err = await client.fetch({ node }).then(() => undefined, (e) => ConnectError.from(e));
    expect(err?.code).toBe(Code.Unavailable);
    expect(err?.rawMessage).toContain(EDGE);
  });

  it("generates through the pipeline's provider (translation for the edge identity)", async () => {
    const seen: string[] = [];
    const { client } = setup((cache) =>
      createXdsPipeline({
        cache,
        clock: createFakeClock(),
        status: createPushStatus({ metrics: createMetrics(), now: () => 0 }),
        generate: (identity) => {
          seen.push(`${identity.type} ${identity.id} ${identity.labels["istio"]}`);
          return meshResources();
        },
      }).provider
    );
    const config = await client.fetch({ node });
    expect(config.resources).toHaveLength(7);
    expect(seen).toEqual([`router ${EDGE} edgegateway`]);
  });
});

describe("EdgeConfigService.Watch", () => {
  it("sends the current config, then each new version once, and disconnects when the client goes", async () => {
    const connected: string[] = [];
    const { cache, client } = setup((c) => ({
      snapshotFor: (identity) => c.get(identity.id),
      onProxyConnected: (identity) => void connected.push(`+${identity.id}`),
      onProxyDisconnected: (identity) => void connected.push(`-${identity.id}`),
    }));
    let world: SnapshotResources = meshResources();
    const first = buildSnapshot(world);
    cache.set(EDGE, first);
    const abort = new AbortController();
    const stream = client.watch({ node }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.version).toBe(first.version);
    expect(connected).toEqual([`+${EDGE}`]);

    cache.set(EDGE, first); // the same version again: nothing is sent
    const DETAILS = "outbound|9080||details.default.svc.cluster.local";
    world = {
      ...world,
      clusters: [...world.clusters, edsCluster(DETAILS)],
      endpoints: [...world.endpoints, endpoints(DETAILS, "10.0.3.1")],
    };
    const second = buildSnapshot(world, first);
    cache.set(EDGE, second);
    const next = await stream.next();
    expect(next.value?.version).toBe(second.version);
    expect(next.value?.resources).toHaveLength(9);

    abort.abort();
    await expect(stream.next()).rejects.toMatchObject({ code: Code.Canceled });
    await expect.poll(() => connected).toEqual([`+${EDGE}`, `-${EDGE}`]);
  });

  it("skips the first message when the client already holds the current version", async () => {
    let started!: () => void;
    const watching = new Promise<void>((resolve) => started = resolve);
    const { cache, client } = setup((c) => ({
      snapshotFor: (identity) => c.get(identity.id),
      onProxyConnected: () => started(),
    }));
    const first = buildSnapshot(meshResources());
    cache.set(EDGE, first);
    const abort = new AbortController();
    const stream = client.watch({ node, knownVersion: first.version }, { signal: abort.signal })[
      Symbol.asyncIterator
    ]();
    const pending = stream.next();
    await watching;
    await new Promise((resolve) => setTimeout(resolve, 20)); // the handler has read the current snapshot
    const second = buildSnapshot(meshResources(["10.0.0.2"]), first);
    cache.set(EDGE, second);
    expect((await pending).value?.version).toBe(second.version);
    abort.abort();
    await stream.next().catch(() => {});
  });
});
