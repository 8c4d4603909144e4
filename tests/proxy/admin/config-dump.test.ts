// /config_dump shows static and xDS-delivered resources with their versions, in Envoy's shape.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderConfigDump } from "../../../proxy/admin/config-dump.ts";
import { createConfigRegistry } from "../../../proxy/config/registry.ts";
import { httpBootstrap, startProxy, staticCluster, type TestProxy } from "../../support/harness.ts";

describe("config dump", () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    proxy = await startProxy(httpBootstrap({
      routes:
        "virtual_hosts: [{ name: a, domains: ['*'], routes: [{ match: { prefix: / }, route: { cluster: web } }] }]",
      clusters: staticCluster("web", [1]),
    }));
  });
  afterAll(() => proxy.close());

  it("lists the bootstrap, static listeners and static clusters", () => {
    const dump = renderConfigDump(proxy.proxy, createConfigRegistry()) as {
      configs: Record<string, unknown>[];
    };
    const types = dump.configs.map((c) => String(c["@type"]).split(".").pop());
    expect(types).toEqual([
      "BootstrapConfigDump",
      "ListenersConfigDump",
      "ClustersConfigDump",
      "RoutesConfigDump",
      "EndpointsConfigDump",
    ]);
    const listeners = dump.configs[1] as {
      static_listeners: { listener: { name: string } }[];
      dynamic_listeners: unknown[];
    };
    expect(listeners.static_listeners.map((l) => l.listener.name)).toEqual(["test"]);
    expect(listeners.dynamic_listeners).toEqual([]);
    const clusters = dump.configs[2] as { static_clusters: { cluster: { name: string; type: string } }[] };
    expect(clusters.static_clusters.map((c) => [c.cluster.name, c.cluster.type])).toEqual([[
      "web",
      "STATIC",
    ]]);
  });
});
