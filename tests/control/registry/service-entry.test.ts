// ServiceEntry registry: hosts × ports, inline endpoints, WorkloadEntries and Pods by workloadSelector, resolutions.
import { describe, expect, it } from "vitest";
import { buildServiceEntryContents } from "../../../control/registry/service-entry.ts";
import { obj, pod } from "../translate/bookinfo.ts";

describe("ServiceEntry", () => {
  it("hosts × ports → Services; inline endpoints with per-port numbers, labels and weights", () => {
    const c = buildServiceEntryContents([
      obj("ServiceEntry", "db", {
        hosts: ["db.internal", "db-ro.internal"],
        addresses: ["240.0.0.5"],
        ports: [{ number: 5432, name: "tcp", protocol: "TCP" }, {
          number: 8080,
          name: "http",
          protocol: "HTTP",
          targetPort: 80,
        }],
        location: "MESH_INTERNAL",
        resolution: "STATIC",
        endpoints: [
          { address: "10.5.0.1", ports: { tcp: 15432 }, labels: { role: "primary" }, weight: 3 },
          { address: "10.5.0.2" },
        ],
      }),
    ]);
    expect(c.services.map((s) => [s.hostname, s.address, s.resolution, s.external, s.registry])).toEqual([
      ["db-ro.internal", "240.0.0.5", "STATIC", false, "serviceentry"],
      ["db.internal", "240.0.0.5", "STATIC", false, "serviceentry"],
    ]);
    expect(c.services[0].ports).toEqual([
      { name: "tcp", port: 5432, protocol: "TCP", targetPort: 5432 },
      { name: "http", port: 8080, protocol: "HTTP", targetPort: 80 },
    ]);
    expect(c.instances.get("db.internal")!.map((i) => [i.servicePort, i.address, i.port, i.weight, i.labels]))
      .toEqual([
        [5432, "10.5.0.1", 15432, 3, { role: "primary" }],
        [5432, "10.5.0.2", 5432, 1, {}],
        [8080, "10.5.0.1", 80, 3, { role: "primary" }],
        [8080, "10.5.0.2", 80, 1, {}],
      ]);
  });

  it("workloadSelector picks WorkloadEntries (and Pods) in its namespace", () => {
    const c = buildServiceEntryContents([
      obj("ServiceEntry", "vm-app", {
        hosts: ["vm-app.example.internal"],
        ports: [{ number: 9080, name: "http", protocol: "HTTP" }],
        location: "MESH_INTERNAL",
        resolution: "STATIC",
        workloadSelector: { labels: { app: "vm-app" } },
      }),
      obj("WorkloadEntry", "vm-1", {
        address: "192.168.1.10",
        labels: { app: "vm-app", version: "v1" },
        serviceAccount: "vm-app",
        ports: { http: 19080 },
      }),
      obj("WorkloadEntry", "vm-other-ns", { address: "192.168.1.11", labels: { app: "vm-app" } }, {
        namespace: "other",
      }),
      obj("WorkloadEntry", "unrelated", { address: "192.168.1.12", labels: { app: "x" } }),
      pod("vm-app", "k8s", "10.0.0.70"),
    ]);
    expect(
      c.instances.get("vm-app.example.internal")!.map((
        i,
      ) => [i.address, i.port, i.serviceAccount, i.workloadName]),
    )
      .toEqual([
        ["10.0.0.70", 9080, "bookinfo-vm-app", "vm-app-k8s-5d8f9c7b6-x70"],
        ["192.168.1.10", 19080, "vm-app", "vm-1"],
      ]);
    expect(c.workloads.map((w) => w.name)).toEqual(["vm-1", "vm-other-ns", "unrelated"]);
  });

  it("resolution: DNS without endpoints resolves the host itself; NONE is the default; external by default", () => {
    const c = buildServiceEntryContents([
      obj("ServiceEntry", "ext", {
        hosts: ["api.example.com"],
        ports: [{ number: 443, name: "https", protocol: "HTTPS" }],
        resolution: "DNS",
      }),
      obj("ServiceEntry", "wild", {
        hosts: ["*.example.org"],
        ports: [{ number: 443, name: "tls", protocol: "TLS" }],
      }),
    ]);
    expect(c.services.map((s) => [s.hostname, s.resolution, s.external])).toEqual([
      ["*.example.org", "NONE", true],
      ["api.example.com", "DNS", true],
    ]);
    expect(c.instances.get("api.example.com")!.map((i) => `${i.address}:${i.port}`)).toEqual([
      "api.example.com:443",
    ]);
    expect(c.instances.get("*.example.org")).toEqual([]);
  });
});
