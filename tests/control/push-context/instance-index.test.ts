// The push context's instance index: built from the previous one, it equals an index built afresh.
import { describe, expect, it } from "vitest";
import type { ServiceInstance } from "../../../control/model/types.ts";
import {
  indexInstances,
  type InstanceIndex,
  instancesAt,
} from "../../../control/push-context/instance-index.ts";

const instance = (hostname: string, address: string, servicePort = 80): ServiceInstance => ({
  hostname,
  servicePort,
  address,
  port: 8080,
  labels: {},
  namespace: "default",
  weight: 1,
  healthy: true,
  registry: "kubernetes",
});

/** Plain data of an index (every address that has instances), for comparing a patched one with a fresh one. */
const plain = (index: InstanceIndex) => ({
  byHostPort: [...index.byHostPort].map(([h, ports]) => [h, [...ports].map(([p, l]) => [p, [...l]])]),
  byAddress: new Map(
    [...new Set([...index.base.keys(), ...index.changed.keys()])].sort()
      .map((a) => [a, instancesAt(index, a).map((i) => `${i.hostname}:${i.servicePort}`)] as const)
      .filter(([, l]) => l.length > 0),
  ),
});

describe("indexInstances", () => {
  // Twelve hostnames (one edit stays under the patch limit); "b" and "c" share the address 10.0.0.2.
  const hosts = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
  const first = new Map(
    hosts.map((h, n) => [h, [instance(h, `10.0.0.${n}`), instance(h, `10.0.1.${n}`, 81)]]),
  );
  first.set("b", [instance("b", "10.0.0.2"), instance("b", "10.0.1.1", 81)]);
  first.set("c", [instance("c", "10.0.0.2"), instance("c", "10.0.0.99")]);

  it("keeps unchanged hostnames' port maps and patches addresses to what a fresh index has", () => {
    const before = indexInstances(first);
    const next = new Map(first);
    // "b" moves one instance from the shared address to a new one; "k" goes away; "m" comes.
    next.set("b", [instance("b", "10.0.0.50"), instance("b", "10.0.1.1", 81)]);
    next.delete("k");
    next.set("m", [instance("m", "10.0.0.2")]);
    const patched = indexInstances(next, before);
    expect(plain(patched)).toEqual(plain(indexInstances(next)));
    expect(patched.byHostPort.get("a")).toBe(before.byHostPort.get("a"));
    expect(instancesAt(patched, "10.0.0.2").map((i) => i.hostname)).toEqual(["c", "m"]);
    expect(instancesAt(patched, "10.0.0.10")).toEqual([]);
    // Unchanged addresses are read from the same base; only the touched ones are new.
    expect(patched.base).toBe(before.base);
    expect([...patched.changed.keys()].sort()).toEqual(
      ["10.0.0.10", "10.0.0.2", "10.0.0.50", "10.0.1.1", "10.0.1.10"],
    );
    // The previous index is left as it was.
    expect(instancesAt(before, "10.0.0.2").map((i) => i.hostname)).toEqual(["b", "c"]);
  });

  it("stays equal to a fresh index over many edits in a row, folding its changes into a new base", () => {
    let lists = new Map(first);
    let index = indexInstances(lists);
    const bases = new Set([index.base]);
    for (let edit = 0; edit < 40; edit++) {
      const host = hosts[(edit * 5) % hosts.length];
      lists = new Map(lists).set(host, [instance(host, `10.1.${edit}.1`), instance(host, "10.0.0.2", 81)]);
      index = indexInstances(lists, index);
      bases.add(index.base);
      expect(plain(index)).toEqual(plain(indexInstances(lists)));
    }
    expect(bases.size).toBeGreaterThan(1);
  });

  it("builds afresh when most hostnames changed", () => {
    const before = indexInstances(first);
    const next = new Map([...first].map(([h, list]) => [h, [...list]]));
    const rebuilt = indexInstances(next, before);
    expect(plain(rebuilt)).toEqual(plain(before));
    expect(rebuilt.byHostPort.get("a")).not.toBe(before.byHostPort.get("a"));
  });
});
