// A hand-made Proxy for admin tests: a real stats store, plain cluster/host/listener objects.
import { create } from "@bufbuild/protobuf";
import { BootstrapSchema } from "../../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import type { Proxy } from "../../../proxy/proxy.ts";
import type { UpstreamCluster } from "../../../proxy/cluster/cluster.ts";
import { createHost, type Host } from "../../../proxy/cluster/host.ts";
import type { RunningListener } from "../../../proxy/listener/listener.ts";
import { createStatsStore } from "../../../proxy/stats/stats-store.ts";
import type { AdminControls } from "../../../proxy/admin/admin-app.ts";

export function fakeCluster(name: string, hosts: Host[], maxRequests = 1024): UpstreamCluster {
  return {
    name,
    type: "STATIC",
    maxRequests,
    maxRetries: 3,
    activeRequests: 0,
    hosts: () => hosts,
  } as Partial<
    UpstreamCluster
  > as UpstreamCluster;
}

export function fakeHost(
  address: string,
  port: number,
  opts: { weight?: number; healthy?: boolean; active?: number } = {},
): Host {
  const host = createHost(address, port, opts.weight ?? 1);
  host.healthy = opts.healthy ?? true;
  host.activeRequests = opts.active ?? 0;
  return host;
}

export function fakeProxy(clusters: UpstreamCluster[], startedAt = 1_000_000): Proxy {
  const listeners = [{ name: "0.0.0.0_15006", host: "0.0.0.0", port: 15006, activeConnections: 0 } as Partial<
    RunningListener
  > as RunningListener];
  return {
    bootstrap: create(BootstrapSchema, {
      node: { id: "sidecar~10.0.0.1~web-1.default~default.svc.cluster.local", cluster: "web" },
    }),
    stats: createStatsStore(),
    clusters: {
      get: (name) => clusters.find((c) => c.name === name),
      all: () => clusters.values(),
      close: async () => {},
      applyDynamic: async () => ({ added: [], updated: [], removed: [] }),
      updateEndpoints: () => false,
      edsNames: () => [],
      configs: () => [],
      assignments: () => [],
    },
    xdsHandlers: [],
    configDump: () => ({ listeners: [], clusters: [], routes: [], endpoints: [], versions: new Map() }),
    httpHandler: () => undefined,
    listeners,
    startedAt,
    drain: async () => {},
    close: async () => {},
  };
}

export interface RecordingControls extends AdminControls {
  quits: number;
  drains: { graceful: boolean; inboundOnly: boolean }[];
  level: string;
}

export function fakeControls(nowMs = 1_000_000): RecordingControls {
  const controls: RecordingControls = {
    quits: 0,
    drains: [],
    level: "info",
    version: "weft/0.1.0",
    quit: () => void controls.quits++,
    drainListeners: (o) =>
      void controls.drains.push({ graceful: o?.graceful ?? false, inboundOnly: o?.inboundOnly ?? false }),
    setLogLevel: (level) => {
      controls.level = level;
      return true;
    },
    logLevel: () => controls.level,
    configDump: () => ({ configs: [{ "@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump" }] }),
    now: () => nowMs,
  };
  return controls;
}
