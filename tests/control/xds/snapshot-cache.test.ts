// Snapshot building (content-hash versions), the per-node cache with watches, and the consistency check.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ClusterSchema } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import {
  buildSnapshot,
  checkConsistency,
  createSnapshotCache,
  typeVersion,
} from "../../../control/xds/snapshot-cache.ts";
import { type Snapshot, TYPE_URLS } from "../../../control/xds/snapshot.ts";
import {
  edsCluster,
  endpoints,
  httpListener,
  meshResources,
  RATINGS,
  REVIEWS,
  routeConfig,
  tcpListener,
} from "./fixtures.ts";

const versionOf = (s: Snapshot, url: string, name: string) => s.resources.get(url)?.get(name)?.version;

describe("buildSnapshot", () => {
  it("versions resources by content: unchanged resources keep their version", () => {
    const a = buildSnapshot(meshResources(["10.0.0.1"]));
    const b = buildSnapshot(meshResources(["10.0.0.2"]), a);
    expect(versionOf(a, TYPE_URLS.cluster, REVIEWS)).toMatch(/^[0-9a-f]{16}$/);
    expect(versionOf(b, TYPE_URLS.cluster, REVIEWS)).toBe(versionOf(a, TYPE_URLS.cluster, REVIEWS));
    expect(versionOf(b, TYPE_URLS.endpoint, RATINGS)).toBe(versionOf(a, TYPE_URLS.endpoint, RATINGS));
    expect(versionOf(b, TYPE_URLS.endpoint, REVIEWS)).not.toBe(versionOf(a, TYPE_URLS.endpoint, REVIEWS));
    expect(b.version).not.toBe(a.version);
    // Per-type versions move only for the type that changed.
    expect(typeVersion(b, TYPE_URLS.cluster)).toBe(typeVersion(a, TYPE_URLS.cluster));
    expect(typeVersion(b, TYPE_URLS.endpoint)).not.toBe(typeVersion(a, TYPE_URLS.endpoint));
  });

  it("returns the previous snapshot when nothing changed, and is deterministic without one", () => {
    const a = buildSnapshot(meshResources());
    expect(buildSnapshot(meshResources(), a)).toBe(a);
    expect(buildSnapshot(meshResources()).version).toBe(a.version);
  });

  it("names endpoints by cluster_name and rejects duplicate or empty names", () => {
    const s = buildSnapshot(meshResources());
    expect([...s.resources.get(TYPE_URLS.endpoint)!.keys()]).toEqual([REVIEWS, RATINGS]);
    expect(() => buildSnapshot({ ...meshResources(), clusters: [edsCluster(REVIEWS), edsCluster(REVIEWS)] }))
      .toThrow(/duplicate resource name/);
    expect(() => buildSnapshot({ ...meshResources(), clusters: [create(ClusterSchema, {})] })).toThrow(
      /no name/,
    );
  });
});

describe("createSnapshotCache", () => {
  it("stores per node and notifies watchers of that node until they unsubscribe", () => {
    const cache = createSnapshotCache();
    const seen: string[] = [];
    const stop = cache.watch("a", (s) => seen.push(s.version));
    const s1 = buildSnapshot(meshResources(["10.0.0.1"]));
    const s2 = buildSnapshot(meshResources(["10.0.0.2"]));
    cache.set("b", s1);
    cache.set("a", s1);
    stop();
    cache.set("a", s2);
    expect(seen).toEqual([s1.version]);
    expect(cache.get("a")).toBe(s2);
    expect(cache.nodeIds().sort()).toEqual(["a", "b"]);
    cache.clear("a");
    expect(cache.get("a")).toBeUndefined();
  });
});

describe("checkConsistency", () => {
  it("accepts a snapshot whose references all resolve", () => {
    expect(checkConsistency(buildSnapshot(meshResources()))).toEqual([]);
  });

  it("reports a missing rds route configuration, route cluster, tcp_proxy cluster and EDS assignment", () => {
    const snapshot = buildSnapshot({
      listeners: [httpListener("http", "missing-routes"), tcpListener("tcp", "outbound|3306||db")],
      routes: [routeConfig("9080", "outbound|9080|v2|reviews.default.svc.cluster.local")],
      clusters: [edsCluster(REVIEWS), edsCluster("ratings", "ratings-eds")],
      endpoints: [endpoints(REVIEWS, "10.0.0.1")],
    });
    expect(checkConsistency(snapshot)).toEqual([
      'listener "http" refers to route configuration "missing-routes" (rds), which is not in the snapshot',
      'listener "tcp" (tcp_proxy) refers to cluster "outbound|3306||db", which is not in the snapshot',
      'route configuration "9080" refers to cluster "outbound|9080|v2|reviews.default.svc.cluster.local", which is not in the snapshot',
      'cluster "ratings" (EDS) needs endpoints "ratings-eds", which are not in the snapshot',
    ]);
  });
});
