// The Kubernetes registry rebuilds only the services an edit touched: the result must equal a full build.
import { describe, expect, it } from "vitest";
import { createConfigStore } from "../../../control/config/config-store.ts";
import { changedHostnames, type RegistryContents } from "../../../control/registry/contents.ts";
import { buildKubernetesContents, createKubernetesRegistry } from "../../../control/registry/kubernetes.ts";
import type { RegistryEvent } from "../../../control/registry/types.ts";

const service = (name: string, port: number, targetPort: number | string = port) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: ns\nspec:\n  selector:\n    app: ${name}\n` +
  `  ports:\n  - name: http\n    port: ${port}\n    targetPort: ${targetPort}\n`;
const slice = (name: string, owner: string, ips: readonly string[]) =>
  `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: ${name}\n  namespace: ns\n  labels:\n` +
  `    kubernetes.io/service-name: ${owner}\naddressType: IPv4\nports:\n- name: http\n  port: 8080\nendpoints:\n` +
  ips.map((ip) => `- addresses: ["${ip}"]\n`).join("");
const endpoints = (name: string, ips: readonly string[]) =>
  `apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: ${name}\n  namespace: ns\nsubsets:\n- addresses:\n` +
  ips.map((ip) => `  - ip: ${ip}\n`).join("") + `  ports:\n  - name: http\n    port: 8080\n`;
const pod = (name: string, app: string, ip: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: ns\n  labels:\n    app: ${app}\n` +
  `spec:\n  containers:\n  - name: app\n    ports:\n    - name: http\n      containerPort: 8080\n` +
  `status:\n  podIP: ${ip}\n`;

/** Thirty services, each with a slice; svc-0 also has Pods (its named targetPort resolves through them). */
function mesh(): Map<string, string> {
  const files = new Map<string, string>();
  for (let i = 0; i < 30; i++) {
    files.set(`svc-${i}.yaml`, service(`svc-${i}`, 9000 + i, i === 0 ? "http" : 8080));
    files.set(`slice-${i}.yaml`, slice(`svc-${i}-a`, `svc-${i}`, [`10.0.${i}.1`, `10.0.${i}.2`]));
  }
  files.set(
    "pods.yaml",
    pod("svc-0-p1", "svc-0", "10.0.0.1") + "---\n" + pod("svc-0-p2", "svc-0", "10.0.0.2"),
  );
  return files;
}

const view = (c: RegistryContents) => ({
  services: c.services,
  instances: c.services.map((s) => [s.hostname, c.instances.get(s.hostname) ?? []]),
  workloads: c.workloads,
});

describe("Kubernetes registry: edits of a few objects", () => {
  it("give what a full build gives, and events name exactly the hostnames that changed", () => {
    const files = mesh();
    const store = createConfigStore();
    const load = () => store.replaceAll([...files].map(([file, text]) => ({ file, text })));
    load();
    const registry = createKubernetesRegistry();
    registry.replace(store.snapshot());
    const events: RegistryEvent[] = [];
    registry.onChange((e) => events.push(e));
    const current = (): RegistryContents => ({
      services: registry.services(),
      instances: new Map(registry.services().map((s) => [s.hostname, registry.instances(s.hostname)])),
      workloads: registry.workloads(),
    });
    const host = (i: number) => `svc-${i}.ns.svc.cluster.local`;
    const edits: [string, () => void][] = [
      [
        "an endpoint address",
        () => files.set("slice-3.yaml", slice("svc-3-a", "svc-3", ["10.0.3.1", "10.9.9.9"])),
      ],
      ["a second slice", () => files.set("slice-3b.yaml", slice("svc-3-b", "svc-3", ["10.0.3.7"]))],
      [
        "a slice moved to another service",
        () => files.set("slice-3b.yaml", slice("svc-3-b", "svc-4", ["10.0.3.7"])),
      ],
      ["a slice deleted", () => files.delete("slice-5.yaml")],
      ["a Service port", () => files.set("svc-6.yaml", service("svc-6", 7006, 8080))],
      ["a Service deleted", () => files.delete("svc-7.yaml")],
      ["a Service added", () => files.set("svc-new.yaml", service("svc-new", 7100, 8080))],
      [
        "Endpoints for a service without slices",
        () => files.set("ep-new.yaml", endpoints("svc-new", ["10.5.5.5"])),
      ],
      [
        "the slice of the service resolving through Pods",
        () => files.set("slice-0.yaml", slice("svc-0-a", "svc-0", ["10.0.0.1"])),
      ],
      [
        "a Pod (everything is rebuilt)",
        () =>
          files.set(
            "pods.yaml",
            pod("svc-0-p1", "svc-0", "10.0.0.1") + "---\n" + pod("svc-0-p2", "svc-0", "10.0.0.3"),
          ),
      ],
      [
        "only another kind",
        () =>
          files.set(
            "vs.yaml",
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\n" +
              "metadata:\n  name: vs\n  namespace: ns\nspec:\n  hosts: [svc-1]\n  http:\n  - route:\n    - destination:\n" +
              "        host: svc-1\n",
          ),
      ],
    ];
    const named = new Map<string, readonly string[][]>();
    for (const [what, edit] of edits) {
      const before = current();
      edit();
      expect(load().filter((p) => p.severity === "error"), what).toEqual([]);
      events.length = 0;
      registry.replace(store.snapshot());
      const full = buildKubernetesContents(store.all(), "cluster.local");
      expect(view(current()), what).toEqual(view(full));
      const changed = changedHostnames(before, full);
      // A Pod change also changes the workloads, which is an event of its own (no hostnames: "all").
      const workloads = JSON.stringify(before.workloads) !== JSON.stringify(full.workloads);
      expect(events.map((e) => e.hostnames), what).toEqual(changed.length > 0 || workloads ? [changed] : []);
      named.set(what, events.map((e) => [...e.hostnames]));
    }
    expect(named.get("an endpoint address")).toEqual([[host(3)]]);
    expect(named.get("a slice moved to another service")).toEqual([[host(3), host(4)]]);
    expect(named.get("only another kind")).toEqual([]);
  });
});
