// Memory (registration) registry and the aggregate: precedence kubernetes > serviceentry > registration, conflicts, events.
import { describe, expect, it } from "vitest";
import type { Service, ServiceInstance } from "../../../control/model/types.ts";
import { createAggregateRegistry } from "../../../control/registry/aggregate.ts";
import { createKubernetesRegistry } from "../../../control/registry/kubernetes.ts";
import { createMemoryRegistry } from "../../../control/registry/memory.ts";
import { createServiceEntryRegistry } from "../../../control/registry/service-entry.ts";
import type { RegistryEvent } from "../../../control/registry/types.ts";
import { obj, pod, service } from "../translate/bookinfo.ts";

const HOST = "reviews.default.svc.cluster.local";

function svc(hostname: string, ports: number[]): Service {
  return {
    hostname,
    namespace: "default",
    ports: ports.map((port) => ({ name: `http-${port}`, port, protocol: "HTTP", targetPort: port })),
    resolution: "STATIC",
    external: false,
    registry: "registration",
  };
}

function inst(hostname: string, address: string, port = 9080): ServiceInstance {
  return {
    hostname,
    servicePort: port,
    address,
    port,
    labels: {},
    namespace: "default",
    weight: 1,
    healthy: true,
    registry: "registration",
  };
}

describe("memory registry", () => {
  it("upserts and removes services and instances, emitting the hostname each time", () => {
    const memory = createMemoryRegistry();
    const events: RegistryEvent[] = [];
    memory.onChange((e) => events.push(e));
    memory.upsertService(svc("vm.internal", [9080]));
    memory.upsertInstance(inst("vm.internal", "192.168.0.2"));
    memory.upsertInstance(inst("vm.internal", "192.168.0.1"));
    memory.upsertInstance(inst("vm.internal", "192.168.0.1")); // replaced, not duplicated
    expect(memory.instances("vm.internal").map((i) => i.address)).toEqual(["192.168.0.1", "192.168.0.2"]);
    expect(memory.removeInstance("vm.internal", "192.168.0.1")).toBe(1);
    expect(memory.removeInstance("vm.internal", "192.168.0.9")).toBe(0);
    expect(memory.removeService("vm.internal")).toBe(true);
    expect(memory.services()).toEqual([]);
    expect(memory.instances("vm.internal")).toEqual([]);
    expect(events.map((e) => e.hostnames)).toEqual([
      ["vm.internal"],
      ["vm.internal"],
      ["vm.internal"],
      ["vm.internal"],
      ["vm.internal"],
      ["vm.internal"],
    ]);
  });
});

describe("aggregate registry", () => {
  const kube = createKubernetesRegistry({ objects: [service("reviews"), pod("reviews", "v1", "10.0.0.21")] });
  const entries = createServiceEntryRegistry([
    obj("ServiceEntry", "reviews-shadow", {
      hosts: [HOST],
      ports: [{ number: 8080, name: "http", protocol: "HTTP" }],
      resolution: "STATIC",
      endpoints: [{ address: "10.9.9.9" }],
    }),
  ]);
  const memory = createMemoryRegistry();
  // given in the "wrong" order: precedence comes from the registry names
  const aggregate = createAggregateRegistry([memory, entries, kube]);

  it("orders members kubernetes > serviceentry > registration", () => {
    expect(aggregate.registries.map((r) => r.name)).toEqual(["kubernetes", "serviceentry", "registration"]);
  });

  it("keeps the kubernetes Service and reports the ServiceEntry with other ports as a conflict", () => {
    expect(aggregate.services().map((s) => [s.hostname, s.registry, s.ports.map((p) => p.port)])).toEqual([
      [HOST, "kubernetes", [9080]],
    ]);
    expect(aggregate.instances(HOST).map((i) => i.address)).toEqual(["10.0.0.21"]);
    expect(aggregate.conflicts()).toEqual([{
      hostname: HOST,
      kept: "kubernetes",
      dropped: "serviceentry",
      message: `${HOST} is defined by kubernetes (ports 9080) and by serviceentry (ports 8080); ` +
        "the serviceentry definition and its instances are ignored",
    }]);
  });

  it("a registered instance of a kubernetes hostname with the same ports joins its instances, with events", () => {
    const events: RegistryEvent[] = [];
    const off = aggregate.onChange((e) => events.push(e));
    memory.upsertService(svc(HOST, [9080]));
    memory.upsertInstance(inst(HOST, "192.168.0.5"));
    expect(aggregate.instances(HOST).map((i) => [i.address, i.registry])).toEqual([
      ["10.0.0.21", "kubernetes"],
      ["192.168.0.5", "registration"],
    ]);
    expect(aggregate.conflicts().map((c) => c.dropped)).toEqual(["serviceentry"]);
    memory.upsertService(svc("vm.internal", [80]));
    expect(aggregate.services().map((s) => s.hostname)).toEqual([HOST, "vm.internal"]);
    expect(events.map((e) => e.registry)).toEqual(["registration", "registration", "registration"]);
    off();
  });

  it("merges a hostname's instances again only when an event names it (or names none)", () => {
    const other = "ratings.default.svc.cluster.local";
    memory.upsertService(svc(other, [9080]));
    memory.upsertInstance(inst(other, "192.168.0.7"));
    const reviews = aggregate.instances(HOST);
    expect(aggregate.instances(other).map((i) => i.address)).toEqual(["192.168.0.7"]);
    // Callers get copies: changing one does not change what the next caller sees.
    aggregate.instances(other).pop();
    expect(aggregate.instances(other).map((i) => i.address)).toEqual(["192.168.0.7"]);
    memory.upsertInstance(inst(other, "192.168.0.8"));
    expect(aggregate.instances(other).map((i) => i.address)).toEqual(["192.168.0.7", "192.168.0.8"]);
    expect(aggregate.instances(HOST)).toEqual(reviews);
    memory.removeInstance(other, "192.168.0.7");
    expect(aggregate.instances(other).map((i) => i.address)).toEqual(["192.168.0.8"]);
    // The kubernetes Service goes: the ServiceEntry's definition (and endpoint) now wins for reviews.
    kube.replace([]);
    expect(aggregate.instances(HOST).map((i) => i.address)).toEqual(["10.9.9.9"]);
  });
});
