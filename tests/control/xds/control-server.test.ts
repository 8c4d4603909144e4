// The control server's one port: gRPC over h2c and the Connect protocol over HTTP/1.1, and a close() that ends sessions.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { startControlServer } from "../../../adapters/node/control-server.ts";
import { AggregatedDiscoveryService } from "../../../gen/envoy/service/discovery/v3/ads_pb.ts";
import {
  type DiscoveryRequest,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from "../../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import { SecretDiscoveryService } from "../../../gen/envoy/service/secret/v3/sds_pb.ts";
import { TYPE_URLS } from "../../../control/xds/snapshot.ts";
import { grpcJsSotwDriver, NODE, startHarness } from "./ads-harness.ts";
import { createPushable, createReader } from "./fixtures.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("startControlServer", () => {
  it("serves unary Connect calls over HTTP/1.1 and gRPC over h2c on the same port", async () => {
    // ADS is bidi-only; a unary method (SDS's REST-style FetchSecrets, test-only here) shows the HTTP/1.1 path.
    const server = await startControlServer({
      host: "127.0.0.1",
      port: 0,
      routes: (router) =>
        router.service(SecretDiscoveryService, {
          fetchSecrets: (request: DiscoveryRequest) =>
            create(DiscoveryResponseSchema, {
              versionInfo: `v-${request.resourceNames.join(",")}`,
              typeUrl: request.typeUrl,
            }),
        }),
    });
    cleanups.push(() => server.close());
    const request = create(DiscoveryRequestSchema, { typeUrl: TYPE_URLS.secret, resourceNames: ["default"] });
    const baseUrl = `http://127.0.0.1:${server.port}`;
    const overH1 = createClient(
      SecretDiscoveryService,
      createConnectTransport({ baseUrl, httpVersion: "1.1" }),
    );
    const overH1Json = createClient(
      SecretDiscoveryService,
      createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }),
    );
    const overGrpc = createClient(SecretDiscoveryService, createGrpcTransport({ baseUrl }));
    expect((await overH1.fetchSecrets(request)).versionInfo).toBe("v-default");
    expect((await overH1Json.fetchSecrets(request)).versionInfo).toBe("v-default");
    expect((await overGrpc.fetchSecrets(request)).versionInfo).toBe("v-default");
  });

  it("refuses bidi ADS over HTTP/1.1 with a clear error (bidi streaming needs HTTP/2)", async () => {
    const h = await startHarness();
    cleanups.push(() => h.close());
    const client = createClient(
      AggregatedDiscoveryService,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${h.port}`, httpVersion: "1.1" }),
    );
    const requests = createPushable<DiscoveryRequest>();
    requests.push(create(DiscoveryRequestSchema, { typeUrl: TYPE_URLS.cluster, node: NODE }));
    requests.end();
    const error = await (async () => {
      try {
        for await (const _ of client.streamAggregatedResources(requests)) return undefined;
      } catch (err) {
        return ConnectError.from(err);
      }
    })();
    expect(error?.message).toMatch(/HTTP 505/);
    expect(error?.code).toBe(Code.Unknown);
  });

  it("close() ends open ADS streams instead of waiting for clients", async () => {
    const h = await startHarness();
    const driver = grpcJsSotwDriver(h.port);
    cleanups.push(() => driver.close());
    driver.send({ typeUrl: TYPE_URLS.cluster, withNode: true });
    await driver.next();
    const started = Date.now();
    await h.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect.poll(() => h.disconnected.length).toBe(1);
  });

  it("a stream whose first request has no node is rejected with InvalidArgument", async () => {
    const h = await startHarness();
    cleanups.push(() => h.close());
    const client = createClient(
      AggregatedDiscoveryService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${h.port}` }),
    );
    const requests = createPushable<DiscoveryRequest>();
    requests.push(create(DiscoveryRequestSchema, { typeUrl: TYPE_URLS.cluster }));
    const reader = createReader(client.streamAggregatedResources(requests));
    const error = await reader.next().then(() => undefined, (err) => ConnectError.from(err));
    requests.end();
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.rawMessage).toMatch(/must carry the node/);
  });
});
