// The push context's instance index: built from the previous one, it equals an index built afresh.
import { describe, expect, it } from "vitest";
import type { ServiceInstance } from "../../../control/model/types.ts";
import { indexInstances, type InstanceIndex } from "../../../control/push-context/instance-index.ts";

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

/** Plain data of an index, for comparing a patched one with a fresh one. */
const plain = (index: InstanceIndex) => ({
  byHostPort: [...index.byHostPort].map(([h, ports]) => [h, [...ports].map(([p, l]) => [p, [...l]])]),
  byAddress: new Map(
    [...index.byAddress].map(([a, l]) => [a, l.map((i) => `${i.hostname}:${i.servicePort}`)]),
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
    expect(patched.byAddress.get("10.0.0.2")!.map((i) => i.hostname)).toEqual(["c", "m"]);
    expect(patched.byAddress.has("10.0.0.10")).toBe(false);
    expect(patched.byAddress.get("10.0.0.0")).toBe(before.byAddress.get("10.0.0.0"));
    // The previous index is left as it was.
    expect(before.byAddress.get("10.0.0.2")!.map((i) => i.hostname)).toEqual(["b", "c"]);
  });

  it("builds afresh when most hostnames changed", () => {
    const before = indexInstances(first);
    const next = new Map([...first].map(([h, list]) => [h, [...list]]));
    const rebuilt = indexInstances(next, before);
    expect(plain(rebuilt)).toEqual(plain(before));
    expect(rebuilt.byHostPort.get("a")).not.toBe(before.byHostPort.get("a"));
  });
});
