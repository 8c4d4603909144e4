// The SotW ADS behaviour suite, run once per client (grpc-js over Envoy's protos, Connect's gRPC transport).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildSnapshot, typeVersion } from "../../../control/xds/snapshot-cache.ts";
import { TYPE_URLS } from "../../../control/xds/snapshot.ts";
import { type Harness, NODE_ID, type SotwDriver, startHarness } from "./ads-harness.ts";
import { edsCluster, endpoints, meshResources, RATINGS, REVIEWS } from "./fixtures.ts";

const CDS = TYPE_URLS.cluster;
const EXTRA = "outbound|80||details.default.svc.cluster.local";

async function until(check: () => boolean, ms = 3_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function runSotwCases(client: string, makeDriver: (port: number) => SotwDriver) {
  describe(`SotW ADS over ${client}`, () => {
    let h: Harness;
    let d: SotwDriver;
    beforeEach(async () => {
      h = await startHarness();
      d = makeDriver(h.port);
    });
    afterEach(async () => {
      d.close();
      await h.close();
    });
    const proxy = () => h.status.toJSON().proxies[0];
    const moreClusters = () =>
      buildSnapshot({
        ...meshResources(),
        clusters: [edsCluster(REVIEWS), edsCluster(RATINGS), edsCluster(EXTRA)],
        endpoints: [...meshResources().endpoints, endpoints(EXTRA, "10.0.2.1")],
      });

    it("answers CDS with a version and nonce, records the ACK, and pushes a snapshot change", async () => {
      d.send({ typeUrl: CDS, withNode: true });
      const r1 = await d.next();
      expect(r1).toEqual({
        typeUrl: CDS,
        nonce: "1",
        versionInfo: typeVersion(h.cache.get(NODE_ID)!, CDS),
        names: [REVIEWS, RATINGS],
      });
      d.send({ typeUrl: CDS, versionInfo: r1.versionInfo, responseNonce: r1.nonce });
      expect(await d.quiet()).toBe(true);
      expect(proxy().identity).toMatchObject({
        id: NODE_ID,
        type: "sidecar",
        namespace: "default",
        workloadName: "productpage-v1",
      });
      expect(proxy().types[CDS]).toMatchObject({ sentVersion: r1.versionInfo, ackedVersion: r1.versionInfo });
      expect(h.connected.map((i) => i.id)).toEqual([NODE_ID]);

      h.cache.set(NODE_ID, moreClusters());
      const r2 = await d.next();
      expect(r2.nonce).toBe("2");
      expect(r2.versionInfo).not.toBe(r1.versionInfo);
      expect(r2.names).toEqual([REVIEWS, RATINGS, EXTRA]);
      d.send({ typeUrl: CDS, versionInfo: r2.versionInfo, responseNonce: r2.nonce });
      await until(() => proxy().types[CDS].ackedVersion === r2.versionInfo);
      expect(h.status.metrics.value("pilot_xds_pushes", { type: "cds" })).toBe(2);
      expect(h.status.metrics.value("pilot_xds")).toBe(1);
      expect(h.status.metrics.value("pilot_proxy_convergence_time")).toBe(2);
    });

    it("records a NACK with its error detail, keeps the acked version, and does not resend the rejected config", async () => {
      d.send({ typeUrl: CDS, withNode: true });
      const r1 = await d.next();
      d.send({ typeUrl: CDS, versionInfo: r1.versionInfo, responseNonce: r1.nonce });
      // (a change pushed before the ACK arrives would make that ACK stale)
      await until(() => proxy().types[CDS].ackedVersion === r1.versionInfo);
      h.cache.set(NODE_ID, moreClusters());
      const r2 = await d.next();
      d.send({
        typeUrl: CDS,
        versionInfo: r1.versionInfo,
        responseNonce: r2.nonce,
        errorDetail: { code: 3, message: "cluster details: unsupported field lb_subset_config" },
      });
      expect(await d.quiet()).toBe(true);
      expect(proxy().types[CDS]).toMatchObject({
        sentVersion: r2.versionInfo,
        ackedVersion: r1.versionInfo,
        lastNack: {
          version: r2.versionInfo,
          nonce: r2.nonce,
          message: "cluster details: unsupported field lb_subset_config",
        },
      });
      expect(h.status.metrics.value("pilot_total_xds_rejects", { type: "cds" })).toBe(1);
      expect(h.status.metrics.render()).toContain('pilot_total_xds_rejects{type="cds"} 1');

      // A new snapshot that leaves clusters alone does not resend the rejected clusters ...
      const unchangedClusters = buildSnapshot({
        ...meshResources(),
        clusters: [edsCluster(REVIEWS), edsCluster(RATINGS), edsCluster(EXTRA)],
        endpoints: [
          endpoints(REVIEWS, "10.0.0.7"),
          endpoints(RATINGS, "10.0.1.1"),
          endpoints(EXTRA, "10.0.2.1"),
        ],
      });
      h.cache.set(NODE_ID, unchangedClusters);
      expect(await d.quiet()).toBe(true);
      // ... a change to the clusters does.
      h.cache.set(NODE_ID, buildSnapshot(meshResources()));
      const r3 = await d.next();
      expect(r3.nonce).toBe("3");
      expect(r3.names).toEqual([REVIEWS, RATINGS]);
    });

    it("ignores a request whose response_nonce is stale", async () => {
      d.send({ typeUrl: TYPE_URLS.endpoint, resourceNames: [REVIEWS], withNode: true });
      const e1 = await d.next();
      expect(e1.names).toEqual([REVIEWS]);
      d.send({
        typeUrl: TYPE_URLS.endpoint,
        resourceNames: [REVIEWS],
        versionInfo: e1.versionInfo,
        responseNonce: e1.nonce,
      });
      await until(() => proxy().types[TYPE_URLS.endpoint].ackedVersion === e1.versionInfo);
      h.cache.set(NODE_ID, buildSnapshot(meshResources(["10.0.0.1", "10.0.0.2"])));
      const e2 = await d.next();
      expect(e2.nonce).toBe("2");
      // Answering the older response: ignored entirely (no ACK recorded, the new name is not subscribed).
      d.send({
        typeUrl: TYPE_URLS.endpoint,
        resourceNames: [REVIEWS, RATINGS],
        versionInfo: e2.versionInfo,
        responseNonce: e1.nonce,
      });
      expect(await d.quiet()).toBe(true);
      expect(proxy().types[TYPE_URLS.endpoint].ackedVersion).toBe(e1.versionInfo);
      // The same with the latest nonce is an ACK plus a new subscription.
      d.send({
        typeUrl: TYPE_URLS.endpoint,
        resourceNames: [REVIEWS, RATINGS],
        versionInfo: e2.versionInfo,
        responseNonce: e2.nonce,
      });
      const e3 = await d.next();
      expect(e3.names).toEqual([REVIEWS, RATINGS]);
      expect(proxy().types[TYPE_URLS.endpoint].ackedVersion).toBe(e2.versionInfo);
    });

    it("returns only the requested names for RDS and EDS, everything for a wildcard LDS", async () => {
      d.send({ typeUrl: TYPE_URLS.listener, withNode: true });
      expect((await d.next()).names).toEqual(["0.0.0.0_9080"]);
      d.send({ typeUrl: TYPE_URLS.route, resourceNames: ["9080"] });
      const rds = await d.next();
      expect(rds).toMatchObject({ typeUrl: TYPE_URLS.route, nonce: "2", names: ["9080"] });
      d.send({ typeUrl: TYPE_URLS.endpoint, resourceNames: [RATINGS] });
      expect(await d.next()).toMatchObject({ typeUrl: TYPE_URLS.endpoint, nonce: "3", names: [RATINGS] });
      // Changing only reviews' endpoints: nothing this proxy subscribed to changed.
      h.cache.set(NODE_ID, buildSnapshot(meshResources(["10.0.0.5"])));
      expect(await d.quiet()).toBe(true);
      // A type Weft does not serve is not answered.
      d.send({ typeUrl: "type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration" });
      expect(await d.quiet()).toBe(true);
    });

    it("sends only the changed load assignment after an ACKed EDS response that covered everything", async () => {
      d.send({ typeUrl: TYPE_URLS.endpoint, withNode: true, resourceNames: [REVIEWS, RATINGS] });
      const e1 = await d.next();
      expect(e1.names).toEqual([REVIEWS, RATINGS]);
      // Not ACKed yet: a change resends everything (the proxy may not have applied the last response).
      h.cache.set(NODE_ID, buildSnapshot(meshResources(["10.0.0.7"]), h.cache.get(NODE_ID)));
      const e2 = await d.next();
      expect(e2.names).toEqual([REVIEWS, RATINGS]);
      d.send({
        typeUrl: TYPE_URLS.endpoint,
        resourceNames: [REVIEWS, RATINGS],
        versionInfo: e2.versionInfo,
        responseNonce: e2.nonce,
      });
      await until(() => proxy().types[TYPE_URLS.endpoint].ackedVersion === e2.versionInfo);
      h.cache.set(NODE_ID, buildSnapshot(meshResources(["10.0.0.8"]), h.cache.get(NODE_ID)));
      const e3 = await d.next();
      expect(e3.names).toEqual([REVIEWS]);
      expect(e3.versionInfo).toBe(typeVersion(h.cache.get(NODE_ID)!, TYPE_URLS.endpoint));
    });

    it("answers a long EDS list (decoded once, request-names.ts) in full, and its repeats in ACKs change nothing", async () => {
      // ~6 KB of names: over SHARE_MIN_BYTES, so Weft's control server cuts the list out of each request.
      const names = Array.from(
        { length: 120 },
        (_, i) => `outbound|9080||svc-${i}.default.svc.cluster.local`,
      );
      const withIp = (ip: string) =>
        buildSnapshot(
          { ...meshResources(), endpoints: names.map((n, i) => endpoints(n, i === 7 ? ip : `10.0.3.${i}`)) },
          h.cache.get(NODE_ID),
        );
      h.cache.set(NODE_ID, withIp("10.9.0.1"));
      const asked = [...names.slice(60), ...names.slice(0, 60), "outbound|1||nope"];
      d.send({ typeUrl: TYPE_URLS.endpoint, withNode: true, resourceNames: asked });
      const e1 = await d.next();
      expect(e1.names).toEqual(names); // in the snapshot's order; the missing name is not there
      const ack = (r: typeof e1) =>
        d.send({
          typeUrl: TYPE_URLS.endpoint,
          resourceNames: asked,
          versionInfo: r.versionInfo,
          responseNonce: r.nonce,
        });
      ack(e1);
      await until(() => proxy().types[TYPE_URLS.endpoint].ackedVersion === e1.versionInfo);
      ack(e1); // the same list again, stale nonce: nothing to send
      expect(await d.quiet()).toBe(true);
      h.cache.set(NODE_ID, withIp("10.9.0.2"));
      const e2 = await d.next();
      expect(e2.names).toEqual([names[7]]);
      expect(e2.versionInfo).toBe(typeVersion(h.cache.get(NODE_ID)!, TYPE_URLS.endpoint));
    });

    it("tells the provider and push status when the proxy goes away", async () => {
      d.send({ typeUrl: CDS, withNode: true });
      await d.next();
      d.close();
      await until(() => h.disconnected.length === 1);
      expect(h.disconnected[0].id).toBe(NODE_ID);
      expect(h.status.toJSON().proxies).toEqual([]);
      expect(h.status.metrics.value("pilot_xds")).toBe(0);
    });
  });
}
