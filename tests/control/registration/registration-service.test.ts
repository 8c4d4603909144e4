// The registration API over a real Connect server: register, heartbeat, TTL expiry, deregister, list, watch.
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RegistryService, WatchEvent_Kind as Kind } from "../../../gen/weft/registry/v1/registry_pb.ts";
import { createMemoryRegistry, type MemoryRegistry } from "../../../control/registry/memory.ts";
import { createRegistration, type Registration } from "../../../control/registration/registration-service.ts";
import { type ControlServer, startControlServer } from "../../../adapters/node/control-server.ts";
import { createFakeClock, type FakeClock } from "../xds/fake-clock.ts";

describe("registration API", () => {
  let clock: FakeClock;
  let registry: MemoryRegistry;
  let registration: Registration;
  let server: ControlServer;

  beforeEach(async () => {
    clock = createFakeClock();
    registry = createMemoryRegistry();
    registration = createRegistration({
      registry,
      clock,
      wallClock: () => 1_700_000_000_000 + clock.now(),
      sweepIntervalMs: 100,
    });
    server = await startControlServer({
      port: 0,
      routes: (router) => router.service(RegistryService, registration.service),
    });
  });

  afterEach(async () => {
    registration.close();
    await server.close();
  });

  const grpc = () =>
    createClient(RegistryService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` }));
  const connect11 = () =>
    createClient(
      RegistryService,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${server.port}`, httpVersion: "1.1" }),
    );

  it("registers a VM instance, which appears as a service with endpoints in the registry", async () => {
    const res = await grpc().register({
      instance: {
        service: "orders",
        namespace: "legacy",
        address: "10.9.0.7",
        port: 8080,
        labels: { app: "orders", version: "v1" },
        ttlSeconds: 10,
      },
    });
    expect(res.instance?.id).toMatch(/^orders\.legacy\.svc\.cluster\.local\/10\.9\.0\.7:8080#\d+$/);
    expect(registry.services().map((s) => s.hostname)).toEqual(["orders.legacy.svc.cluster.local"]);
    const [instance] = registry.instances("orders.legacy.svc.cluster.local");
    expect(instance).toMatchObject({
      address: "10.9.0.7",
      port: 8080,
      servicePort: 8080,
      labels: { app: "orders", version: "v1" },
    });
  });

  it("expires an instance that stops heartbeating within one TTL, and keeps one that heartbeats", async () => {
    const client = connect11();
    const quiet = await client.register({
      instance: { service: "billing", address: "10.0.0.1", port: 80, ttlSeconds: 2 },
    });
    const alive = await client.register({
      instance: { service: "billing", address: "10.0.0.2", port: 80, ttlSeconds: 2 },
    });
    for (let t = 0; t < 4; t++) {
      await clock.advance(1000);
      await client.heartbeat({ id: alive.instance!.id });
    }
    expect(registry.instances("billing.default.svc.cluster.local").map((i) => i.address)).toEqual([
      "10.0.0.2",
    ]);
    await expect(client.heartbeat({ id: quiet.instance!.id })).rejects.toThrow(/call Register again/);
    await clock.advance(2100);
    expect(registry.services()).toEqual([]);
  });

  it("deregisters, lists by service, and rejects bad input with a clear message", async () => {
    const client = grpc();
    const a = await client.register({ instance: { service: "a", address: "10.0.0.1", port: 80 } });
    await client.register({ instance: { service: "b", address: "10.0.0.2", port: 80 } });
    expect((await client.list({ service: "a" })).instances.map((i) => i.address)).toEqual(["10.0.0.1"]);
    expect((await client.list({})).instances).toHaveLength(2);
    await client.deregister({ id: a.instance!.id });
    expect(registry.instances("a.default.svc.cluster.local")).toEqual([]);
    await expect(client.register({ instance: { service: "c", address: "10.0.0.3", port: 0 } })).rejects
      .toThrow(/port must be 1..65535/);
    await expect(client.register({ instance: { address: "10.0.0.3", port: 1 } })).rejects.toThrow(
      /service is required/,
    );
  });

  it("streams watch events: current instances, then changes and expiries", async () => {
    const client = grpc();
    await client.register({ instance: { service: "w", address: "10.0.0.1", port: 80, ttlSeconds: 1 } });
    const abort = new AbortController();
    const events: string[] = [];
    const done = (async () => {
      for await (const e of client.watch({ service: "w" }, { signal: abort.signal })) {
        events.push(`${Kind[e.kind]} ${e.instance?.address}`);
        if (events.length === 3) abort.abort();
      }
    })().catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    await client.register({ instance: { service: "w", address: "10.0.0.2", port: 80, ttlSeconds: 5 } });
    await client.register({ instance: { service: "other", address: "10.0.0.9", port: 80 } });
    await new Promise((r) => setTimeout(r, 50));
    await clock.advance(1200);
    await done;
    expect(events).toEqual(["ADDED 10.0.0.1", "ADDED 10.0.0.2", "EXPIRED 10.0.0.1"]);
  });
});
