// Incremental (delta) ADS over Connect's gRPC transport on a real socket: adds, changes, removals, versions.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClusterSchema } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import {
  type DeltaDiscoveryRequest,
  DeltaDiscoveryRequestSchema,
  type DeltaDiscoveryResponse,
} from "../../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import { PIECES, piecesOf, SPLICED_PIECES } from "../../../control/xds/response-pieces.ts";
import { buildSnapshot } from "../../../control/xds/snapshot-cache.ts";
import { TYPE_URLS } from "../../../control/xds/snapshot.ts";
import { adsClient, type Harness, nameOfAny, NODE, NODE_ID, startHarness } from "./ads-harness.ts";
import {
  createPushable,
  createReader,
  edsCluster,
  endpoints,
  meshResources,
  RATINGS,
  REVIEWS,
} from "./fixtures.ts";

const CDS = TYPE_URLS.cluster;
const EDS = TYPE_URLS.endpoint;

function openDelta(port: number) {
  const requests = createPushable<DeltaDiscoveryRequest>();
  const abort = new AbortController();
  const reader = createReader<DeltaDiscoveryResponse>(
    adsClient(port).deltaAggregatedResources(requests, { signal: abort.signal }),
  );
  let first = true;
  return {
    send(init: MessageInitShape<typeof DeltaDiscoveryRequestSchema>) {
      const request = create(DeltaDiscoveryRequestSchema, init);
      if (first) request.node = NODE;
      requests.push(request);
      first = false;
    },
    async next() {
      const r = await reader.next();
      return {
        raw: r,
        nonce: r.nonce,
        typeUrl: r.typeUrl,
        system: r.systemVersionInfo,
        added: Object.fromEntries(r.resources.map((x) => [x.name, x.version])),
        decoded: r.resources.map((x) => nameOfAny(x.resource!.typeUrl, x.resource!.value)),
        removed: r.removedResources,
      };
    },
    quiet: () => reader.quiet(),
    close() {
      requests.end();
      abort.abort();
    },
  };
}

describe("delta ADS", () => {
  let h: Harness;
  let streams: ReturnType<typeof openDelta>[];
  const open = () => {
    const s = openDelta(h.port);
    streams.push(s);
    return s;
  };
  const version = (type: string, name: string) =>
    h.cache.get(NODE_ID)!.resources.get(type)!.get(name)!.version;
  const typeStatus = (type: string) => h.status.toJSON().proxies[0].types[type];
  beforeEach(async () => {
    h = await startHarness();
    streams = [];
  });
  afterEach(async () => {
    for (const s of streams) s.close();
    await h.close();
  });

  it("sends everything on a wildcard subscribe, then only the changed resource, then removals", async () => {
    const d = open();
    d.send({ typeUrl: CDS });
    const r1 = await d.next();
    expect(r1).toMatchObject({
      nonce: "1",
      typeUrl: CDS,
      system: h.cache.get(NODE_ID)!.version,
      added: { [REVIEWS]: version(CDS, REVIEWS), [RATINGS]: version(CDS, RATINGS) },
      decoded: [REVIEWS, RATINGS],
      removed: [],
    });
    d.send({ typeUrl: CDS, responseNonce: r1.nonce });
    await expect.poll(() => typeStatus(CDS).ackedNonce).toBe(r1.nonce);
    expect(typeStatus(CDS).ackedVersion).toBe(r1.system);

    const slower = create(ClusterSchema, { ...edsCluster(REVIEWS), connectTimeout: durationFromMs(2_500) });
    h.cache.set(NODE_ID, buildSnapshot({ ...meshResources(), clusters: [slower, edsCluster(RATINGS)] }));
    const r2 = await d.next();
    expect(r2.added).toEqual({ [REVIEWS]: version(CDS, REVIEWS) });
    expect(r2.added[REVIEWS]).not.toBe(r1.added[REVIEWS]);
    expect(r2.removed).toEqual([]);
    expect(r2.system).not.toBe(r1.system);

    h.cache.set(
      NODE_ID,
      buildSnapshot({ ...meshResources(), routes: [], listeners: [], clusters: [slower] }),
    );
    const r3 = await d.next();
    expect(r3.added).toEqual({});
    expect(r3.removed).toEqual([RATINGS]);
  });

  it("follows named subscribe/unsubscribe and reports names that do not exist as removed", async () => {
    const d = open();
    d.send({ typeUrl: EDS, resourceNamesSubscribe: [REVIEWS] });
    const r1 = await d.next();
    expect(r1.decoded).toEqual([REVIEWS]);
    d.send({ typeUrl: EDS, responseNonce: r1.nonce, resourceNamesSubscribe: [RATINGS, "outbound|1||nope"] });
    const r2 = await d.next();
    expect(r2.decoded).toEqual([RATINGS]);
    expect(r2.removed).toEqual(["outbound|1||nope"]);
    d.send({ typeUrl: EDS, responseNonce: r2.nonce, resourceNamesUnsubscribe: [REVIEWS] });
    await expect.poll(() => typeStatus(EDS).ackedNonce).toBe(r2.nonce);
    // reviews is no longer subscribed: its endpoints changing sends nothing.
    h.cache.set(NODE_ID, buildSnapshot(meshResources(["10.0.0.1", "10.0.0.2"])));
    expect(await d.quiet()).toBe(true);
  });

  it("resends a resource subscribed again after an unsubscribe, and only that one", async () => {
    const d = open();
    d.send({ typeUrl: EDS, resourceNamesSubscribe: [REVIEWS, RATINGS] });
    const r1 = await d.next();
    expect(r1.decoded.sort()).toEqual([RATINGS, REVIEWS].sort());
    d.send({ typeUrl: EDS, responseNonce: r1.nonce, resourceNamesUnsubscribe: [REVIEWS] });
    expect(await d.quiet()).toBe(true);
    d.send({ typeUrl: EDS, resourceNamesSubscribe: [REVIEWS] });
    const r2 = await d.next();
    expect(r2.decoded).toEqual([REVIEWS]);
    expect(r2.removed).toEqual([]);
  });

  it("streams that subscribed the same names keep their own subscription when one of them unsubscribes", async () => {
    // Both take the same step from an empty subscription (the server shares that set between them).
    const [a, b] = [open(), open()];
    for (const d of [a, b]) d.send({ typeUrl: EDS, resourceNamesSubscribe: [REVIEWS, RATINGS] });
    const [ra, rb] = [await a.next(), await b.next()];
    expect(ra.decoded.sort()).toEqual([RATINGS, REVIEWS].sort());
    expect(rb.decoded.sort()).toEqual([RATINGS, REVIEWS].sort());
    b.send({ typeUrl: EDS, responseNonce: rb.nonce });
    a.send({ typeUrl: EDS, responseNonce: ra.nonce, resourceNamesUnsubscribe: [REVIEWS] });
    expect(await a.quiet()).toBe(true);
    h.cache.set(NODE_ID, buildSnapshot(meshResources(["10.0.0.1", "10.0.0.2"])));
    // b still follows reviews; a does not.
    expect((await b.next()).decoded).toEqual([REVIEWS]);
    expect(await a.quiet()).toBe(true);
  });

  it("a subscription step sends just the names it added, in the snapshot's order, at their current versions", async () => {
    const names = Array.from(
      { length: 40 },
      (_, i) => `outbound|80||svc-${String(i).padStart(2, "0")}.default`,
    );
    const assignments = (ip: string) => names.map((n, i) => endpoints(n, i === 5 ? ip : `10.0.2.${i}`));
    h.cache.set(NODE_ID, buildSnapshot({ ...meshResources(), endpoints: assignments("10.9.9.1") }));
    const d = open();
    d.send({ typeUrl: EDS, resourceNamesSubscribe: names.slice(0, 10) });
    const r1 = await d.next();
    expect(r1.decoded).toEqual(names.slice(0, 10));
    // Out of order, with one already held and one that does not exist.
    d.send({
      typeUrl: EDS,
      responseNonce: r1.nonce,
      resourceNamesSubscribe: [names[30], names[12], "outbound|1||nope", names[3], names[11]],
    });
    const r2 = await d.next();
    expect(r2.decoded).toEqual([names[11], names[12], names[30]]);
    expect(r2.removed).toEqual(["outbound|1||nope"]);
    // An edit, then a step: the step sends the new names; the edited one (held, subscribed) comes too.
    h.cache.set(NODE_ID, buildSnapshot({ ...meshResources(), endpoints: assignments("10.9.9.2") }));
    const r3 = await d.next();
    expect(r3.added).toEqual({ [names[5]]: version(EDS, names[5]) });
    d.send({ typeUrl: EDS, responseNonce: r3.nonce, resourceNamesSubscribe: names.slice(20, 40) });
    const r4 = await d.next();
    expect(r4.decoded).toEqual(names.slice(20, 40).filter((n) => n !== names[30]));
    expect(Object.values(r4.added)).toEqual(
      names.slice(20, 40).filter((n) => n !== names[30]).map((n) => version(EDS, n)),
    );
    expect(await d.quiet()).toBe(true);
  });

  it("long subscriptions (decoded once per list, request-names.ts) are followed per stream", async () => {
    const names = Array.from({ length: 120 }, (_, i) => `outbound|9080||svc-${i}.default.svc.cluster.local`);
    h.cache.set(
      NODE_ID,
      buildSnapshot({ ...meshResources(), endpoints: names.map((n) => endpoints(n, "10.0.4.1")) }),
    );
    const [a, b] = [open(), open()];
    for (const d of [a, b]) {
      d.send({ typeUrl: EDS, resourceNamesSubscribe: [...names.slice(1), "outbound|1||nope"] });
    }
    const [ra, rb] = [await a.next(), await b.next()];
    expect(ra.decoded).toEqual(names.slice(1));
    expect(ra.removed).toEqual(["outbound|1||nope"]);
    expect(rb.decoded).toEqual(names.slice(1));
    a.send({ typeUrl: EDS, responseNonce: ra.nonce, resourceNamesSubscribe: names.slice(0, 100) });
    expect((await a.next()).decoded).toEqual([names[0]]);
    b.send({ typeUrl: EDS, responseNonce: rb.nonce, resourceNamesUnsubscribe: names.slice(1, 110) });
    expect(await b.quiet()).toBe(true);
    h.cache.set(
      NODE_ID,
      buildSnapshot({ ...meshResources(), endpoints: names.map((n) => endpoints(n, "10.0.4.2")) }),
    );
    expect((await a.next()).decoded).toEqual(names);
    expect((await b.next()).decoded).toEqual(names.slice(110));
  });

  it("honours initial_resource_versions: what the proxy already has is not resent", async () => {
    const d = open();
    d.send({
      typeUrl: CDS,
      initialResourceVersions: {
        [REVIEWS]: version(CDS, REVIEWS),
        [RATINGS]: "stale",
        "outbound|1||gone": "x",
      },
    });
    const r1 = await d.next();
    expect(r1.added).toEqual({ [RATINGS]: version(CDS, RATINGS) });
    expect(r1.removed).toEqual(["outbound|1||gone"]);
  });

  it("sends a large response in pieces ending with a small one, removals first; the last piece's ACK counts", async () => {
    // 1,000 clusters with long names: ~2.4 MiB of resources (the server splices: pieces of up to 1 MiB).
    const many = Array.from(
      { length: 1000 },
      (_, i) => edsCluster(`outbound|80||svc-${i}.${"x".repeat(1200)}`),
    );
    h.cache.set(NODE_ID, buildSnapshot({ ...meshResources(), clusters: many }));
    const d = open();
    d.send({ typeUrl: CDS, initialResourceVersions: { "outbound|1||gone": "x" } });
    const pieces = [await d.next()];
    while (pieces.reduce((n, p) => n + p.decoded.length, 0) < 1000) pieces.push(await d.next());
    expect(pieces.map((p) => p.removed)).toEqual([["outbound|1||gone"], ...pieces.slice(1).map(() => [])]);
    expect(new Set(pieces.flatMap((p) => p.decoded)).size).toBe(1000);
    const sizes = pieces.map((p) => p.raw.resources.reduce((n, r) => n + r.resource!.value.length, 0));
    expect(pieces.length).toBe(4);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(SPLICED_PIECES.piece);
    expect(sizes[3]).toBeLessThanOrEqual(SPLICED_PIECES.tail);
    expect(await d.quiet()).toBe(true);
    const last = pieces[pieces.length - 1];
    d.send({ typeUrl: CDS, responseNonce: pieces[0].nonce });
    expect(await d.quiet()).toBe(true);
    expect(typeStatus(CDS).ackedNonce).toBeUndefined();
    d.send({ typeUrl: CDS, responseNonce: last.nonce });
    await expect.poll(() => typeStatus(CDS).ackedNonce).toBe(last.nonce);
  });

  it("without splicing (a plain connect-node server) cuts a large response at 256 KiB, small piece last", async () => {
    const plain = await startHarness({ plain: true });
    try {
      // 1,000 clusters with long names: ~530 KiB of resources.
      const many = Array.from(
        { length: 1000 },
        (_, i) => edsCluster(`outbound|80||svc-${i}.${"x".repeat(200)}`),
      );
      plain.cache.set(NODE_ID, buildSnapshot({ ...meshResources(), clusters: many }));
      const d = openDelta(plain.port);
      d.send({ typeUrl: CDS });
      const pieces = [await d.next()];
      while (pieces.reduce((n, p) => n + p.decoded.length, 0) < 1000) pieces.push(await d.next());
      const sizes = pieces.map((p) => p.raw.resources.reduce((n, r) => n + r.resource!.value.length, 0));
      expect(pieces.length).toBeGreaterThanOrEqual(3);
      for (const size of sizes) expect(size).toBeLessThanOrEqual(PIECES.piece);
      expect(sizes.at(-1)).toBeLessThanOrEqual(PIECES.tail);
      expect(new Set(pieces.flatMap((p) => p.decoded)).size).toBe(1000);
      d.close();
    } finally {
      await plain.close();
    }
  });

  it("records a NACK by nonce and does not resend until the resource changes", async () => {
    const d = open();
    d.send({ typeUrl: CDS });
    const r1 = await d.next();
    d.send({ typeUrl: CDS, responseNonce: r1.nonce, errorDetail: { code: 3, message: "bad cluster" } });
    await expect.poll(() => typeStatus(CDS).lastNack?.message).toBe("bad cluster");
    expect(typeStatus(CDS).ackedVersion).toBeUndefined();
    expect(h.status.metrics.value("pilot_total_xds_rejects", { type: "cds" })).toBe(1);
    // A snapshot change elsewhere (endpoints) resends nothing for CDS.
    h.cache.set(NODE_ID, buildSnapshot(meshResources(["10.0.0.3"])));
    expect(await d.quiet()).toBe(true);
    // An ACK carrying an older nonce is stale: not recorded.
    d.send({ typeUrl: CDS, responseNonce: "0" });
    expect(await d.quiet()).toBe(true);
    expect(typeStatus(CDS).ackedVersion).toBeUndefined();
  });
});

describe("piecesOf", () => {
  const limits = { whole: 10, piece: 8, tail: 3 };
  it("keeps a small response whole and ends a large one with a small piece", () => {
    expect(piecesOf([], limits)).toEqual([[0, 0]]);
    expect(piecesOf([4, 6], limits)).toEqual([[0, 2]]);
    expect(piecesOf([4, 4, 4, 1, 1], limits)).toEqual([[0, 2], [2, 3], [3, 5]]);
    // An item larger than a piece goes alone; the tail has at least one item.
    expect(piecesOf([20, 9], limits)).toEqual([[0, 1], [1, 2]]);
  });
});
