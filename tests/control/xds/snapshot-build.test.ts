// Snapshots share unchanged per-type maps with the node's previous snapshot; versions and checks stay exact.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { Cluster } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { buildSnapshot, checkConsistency, typeVersion } from "../../../control/xds/snapshot-cache.ts";
import { type Snapshot, TYPE_URLS } from "../../../control/xds/snapshot.ts";
import { patchedNames } from "../../../control/xds/map-facts.ts";
import { endpoints, httpListener, meshResources, RATINGS, REVIEWS, routeConfig } from "./fixtures.ts";

const entries = (s: Snapshot, url: string) =>
  [...(s.resources.get(url) ?? new Map()).values()].map((r) => [r.name, r.version]);

describe("buildSnapshot with a previous snapshot", () => {
  const base = meshResources(["10.0.0.1"]);
  const first = buildSnapshot(base);

  it("takes over unchanged maps and patches the changed one, with the version of a fresh build", () => {
    const edited = { ...base, endpoints: [base.endpoints[0], endpoints(RATINGS, "10.0.9.9")] };
    const next = buildSnapshot(edited, first);
    for (const url of [TYPE_URLS.listener, TYPE_URLS.route, TYPE_URLS.cluster]) {
      expect(next.resources.get(url)).toBe(first.resources.get(url));
    }
    expect(next.resources.get(TYPE_URLS.endpoint)).not.toBe(first.resources.get(TYPE_URLS.endpoint));
    const fresh = buildSnapshot(edited);
    expect(next.version).toBe(fresh.version);
    expect(next.version).not.toBe(first.version);
    for (const url of Object.values(TYPE_URLS)) {
      expect(entries(next, url)).toEqual(entries(fresh, url));
      expect(typeVersion(next, url)).toBe(typeVersion(fresh, url));
    }
    // The unchanged entry is the very same versioned resource; the previous snapshot is untouched.
    expect(next.resources.get(TYPE_URLS.endpoint)!.get(REVIEWS)).toBe(
      first.resources.get(TYPE_URLS.endpoint)!.get(REVIEWS),
    );
    expect(entries(first, TYPE_URLS.endpoint)).toEqual(entries(buildSnapshot(base), TYPE_URLS.endpoint));
  });

  it("shares one map among snapshots built from the same frozen list, and records what a patch changed", () => {
    const shared = Object.freeze([...base.endpoints]);
    const a = buildSnapshot({ ...base, endpoints: shared });
    const b = buildSnapshot({ ...base, endpoints: shared });
    expect(b).not.toBe(a);
    expect(b.resources.get(TYPE_URLS.endpoint)).toBe(a.resources.get(TYPE_URLS.endpoint));
    // A mutable list is never cached: the same array edited later must give a new map.
    const mutable = [...base.endpoints];
    const c = buildSnapshot({ ...base, endpoints: mutable });
    mutable[1] = endpoints(RATINGS, "10.0.9.9");
    const d = buildSnapshot({ ...base, endpoints: mutable }, c);
    expect(entries(d, TYPE_URLS.endpoint)).not.toEqual(entries(c, TYPE_URLS.endpoint));
    expect(patchedNames(d.resources.get(TYPE_URLS.endpoint)!, c.resources.get(TYPE_URLS.endpoint)!))
      .toEqual([RATINGS]);
    expect(patchedNames(d.resources.get(TYPE_URLS.endpoint)!, first.resources.get(TYPE_URLS.endpoint)!))
      .toBeUndefined();
  });

  it("lets earlier snapshots of a chain of patches be collected (the newest does not keep them alive)", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    // Lists that are not frozen: a frozen list keeps its map (mapsByList) for as long as the list lives.
    let previous = buildSnapshot(meshResources(["10.0.0.1"]));
    const earlier = new WeakRef(previous.resources.get(TYPE_URLS.endpoint)!);
    for (let i = 2; i < 40; i++) {
      const edited = { ...base, endpoints: [base.endpoints[0], endpoints(RATINGS, `10.0.9.${i}`)] };
      previous = buildSnapshot(edited, previous);
    }
    // WeakRef targets stay alive until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(previous.resources.get(TYPE_URLS.endpoint)!.size).toBe(2);
    expect(earlier.deref()).toBeUndefined();
  });

  it("returns the previous snapshot for new but equal messages", () => {
    expect(buildSnapshot(meshResources(["10.0.0.1"]), first)).toBe(first);
  });

  it("rebuilds a map whose names changed, and versions it like a fresh build", () => {
    const fewer = { ...base, endpoints: [base.endpoints[0]] };
    const next = buildSnapshot(fewer, first);
    expect(entries(next, TYPE_URLS.endpoint)).toEqual([[
      REVIEWS,
      first.resources.get(TYPE_URLS.endpoint)!.get(REVIEWS)!.version,
    ]]);
    expect(next.version).toBe(buildSnapshot(fewer).version);
  });

  it("re-checks consistency when the names a map refers into change, even with the referring map shared", () => {
    expect(checkConsistency(first)).toEqual([]);
    // The clusters map is taken over unchanged, but the endpoints it needs are gone.
    const missing = buildSnapshot({ ...base, endpoints: [base.endpoints[0]] }, first);
    expect(missing.resources.get(TYPE_URLS.cluster)).toBe(first.resources.get(TYPE_URLS.cluster));
    expect(checkConsistency(missing)).toEqual([
      `cluster "${RATINGS}" (EDS) needs endpoints "${RATINGS}", which are not in the snapshot`,
    ]);
    // Routes and listeners refer by name too.
    const renamed = buildSnapshot({
      ...base,
      listeners: [httpListener("0.0.0.0_9080", "9081")],
      routes: [routeConfig("9080", REVIEWS), routeConfig("ratings", "outbound|1||gone")],
    }, first);
    expect(checkConsistency(renamed)).toEqual([
      'listener "0.0.0.0_9080" refers to route configuration "9081" (rds), which is not in the snapshot',
      'route configuration "ratings" refers to cluster "outbound|1||gone", which is not in the snapshot',
    ]);
    // Back to the first resources: consistent again.
    expect(checkConsistency(buildSnapshot(meshResources(["10.0.0.2"]), renamed))).toEqual([]);
  });

  it("puts a message given in the wrong list under its own type", () => {
    const s = buildSnapshot({
      ...base,
      clusters: [...base.clusters, endpoints("stray", "10.1.1.1") as unknown as Cluster],
    }, first);
    expect(s.resources.get(TYPE_URLS.endpoint)!.has("stray")).toBe(true);
    expect(s.resources.get(TYPE_URLS.cluster)!.has("stray")).toBe(false);
    expect(first.resources.get(TYPE_URLS.endpoint)!.has("stray")).toBe(false);
  });
});
