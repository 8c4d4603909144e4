// The demo mesh behind `npm start`: control plane, Bookinfo services each with a Weft sidecar, an ingress gateway.
import type { Server } from "node:http";
import { type RunningControl, startNodeControlPlane } from "./start-control.ts";
import { type RunningProxy, startNodeProxy } from "./start-proxy.ts";
import { adsBootstrap } from "../../proxy/config/ads-bootstrap.ts";
import { createConfigRegistry } from "../../proxy/config/registry.ts";
import { type BookinfoApp, startBookinfoService } from "../../examples/bookinfo/services.ts";

export interface DemoMeshOptions {
  readonly configDir: string;
  readonly xdsPort?: number;
  readonly monitoringPort?: number;
  readonly log?: (line: string) => void;
  readonly accessLog?: boolean;
}

export interface DemoMesh {
  readonly control: RunningControl;
  readonly sidecars: ReadonlyMap<string, RunningProxy>;
  readonly gateway: RunningProxy;
  /** Stops the control plane only (sidecars keep their last config); `restartControl` brings it back. */
  stopControl(): Promise<void>;
  restartControl(): Promise<void>;
  close(): Promise<void>;
}

const APPS = new Set(["productpage", "details", "reviews", "ratings"]);

/** Workload at pod IP 127.0.1.N: its app listens on 127.0.2.N, its sidecar's outbound listeners on 127.0.3.N. */
export function workloadAddresses(podIp: string) {
  const n = podIp.split(".")[3];
  return { podIp, app: `127.0.2.${n}`, outbound: `127.0.3.${n}` };
}

export async function startDemoMesh(options: DemoMeshOptions): Promise<DemoMesh> {
  const log = options.log ?? ((line: string) => console.log(line));
  const registry = createConfigRegistry();
  let control = await startNodeControlPlane({
    configDir: options.configDir,
    xdsPort: options.xdsPort ?? 15010,
    monitoringPort: options.monitoringPort ?? 15014,
    log,
  });
  const xdsPort = control.xdsPort;
  const monitoringPort = control.monitoringPort;
  const xds = `127.0.0.1:${xdsPort}`;
  const apps: Server[] = [];
  const sidecars = new Map<string, RunningProxy>();
  let gateway: RunningProxy | undefined;
  try {
    for (const pod of control.controlPlane.store.list("Pod")) {
      const labels = pod.labels;
      const podIp = (pod.spec as { status?: { podIP?: string } }).status?.podIP;
      if (!podIp) continue;
      if (labels.istio === "ingressgateway") {
        gateway = (await startNodeProxy({
          bootstrap: adsBootstrap({
            xds,
            type: "router",
            ip: podIp,
            podName: pod.name,
            namespace: pod.namespace,
            labels,
          }, registry),
          accessLog: options.accessLog,
        }))!;
        continue;
      }
      if (!APPS.has(labels.app) || !podIp.startsWith("127.0.1.")) continue;
      const addr = workloadAddresses(podIp);
      apps.push(
        await startBookinfoService({
          app: labels.app as BookinfoApp,
          version: labels.version ?? "v1",
          host: addr.app,
          port: 9080,
          outbound: addr.outbound,
        }),
      );
      const serviceAccount = (pod.spec as { spec?: { serviceAccountName?: string } }).spec
        ?.serviceAccountName;
      sidecars.set(
        pod.name,
        (await startNodeProxy({
          bootstrap: adsBootstrap({
            xds,
            ip: podIp,
            podName: pod.name,
            namespace: pod.namespace,
            labels,
            serviceAccount,
            metadata: { WEFT_OUTBOUND_ADDRESS: addr.outbound, WEFT_APP_ADDRESS: addr.app },
          }, registry),
          accessLog: options.accessLog,
        }))!,
      );
    }
    if (!gateway) {
      throw new Error(`no Pod labelled istio=ingressgateway with a podIP in ${options.configDir}`);
    }
  } catch (err) {
    for (const s of sidecars.values()) await s.stop(0);
    for (const a of apps) a.close();
    await control.close();
    throw err;
  }
  const gw = gateway;
  return {
    get control() {
      return control;
    },
    sidecars,
    gateway: gw,
    stopControl: () => control.close(),
    async restartControl() {
      control = await startNodeControlPlane({ configDir: options.configDir, xdsPort, monitoringPort, log });
    },
    async close() {
      await Promise.all([...sidecars.values(), gw].map((p) => p.stop(200)));
      for (const a of apps) {
        a.closeAllConnections();
        a.close();
      }
      await control.close();
    },
  };
}
