// Loads a bootstrap file, starts the proxy core on the Node runtime and serves the admin API.
import { readFile } from "node:fs/promises";
import { serve, type ServerType } from "@hono/node-server";
import type { Bootstrap } from "../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import { createProxy, type Proxy } from "../../proxy/proxy.ts";
import { loadBootstrap } from "../../proxy/config/load-bootstrap.ts";
import { createConfigRegistry } from "../../proxy/config/registry.ts";
import { createAdminApp } from "../../proxy/admin/admin-app.ts";
import { renderConfigDump } from "../../proxy/admin/config-dump.ts";
import { WeftError } from "../../proxy/errors.ts";
import { createNodeRuntime } from "./runtime.ts";
import { VERSION } from "./version.ts";

export interface StartOptions {
  /** A bootstrap file, or… */
  readonly configPath?: string;
  /** …a bootstrap built in code (e.g. from `--xds`). */
  readonly bootstrap?: Bootstrap;
  readonly accessLog?: boolean;
  /** Parse and validate only. */
  readonly validateOnly?: boolean;
}

export interface RunningProxy {
  readonly proxy: Proxy;
  readonly admin?: { host: string; port: number };
  stop(drainMs: number): Promise<void>;
  onQuit(fn: () => void): void;
}

export async function startNodeProxy(options: StartOptions): Promise<RunningProxy | undefined> {
  const registry = createConfigRegistry();
  const bootstrap = options.bootstrap ??
    loadBootstrap(await readBootstrapFile(options.configPath!), options.configPath!, registry);
  if (options.validateOnly) return undefined;
  const runtime = createNodeRuntime();
  const proxy = await createProxy({
    runtime,
    bootstrap,
    accessLog: options.accessLog,
    // The gRPC transport only when following a control plane (a static sidecar does not load it).
    xdsTransport: bootstrap.dynamicResources
      ? (await import("./xds-transport.ts")).createXdsTransport
      : undefined,
  });
  const quitters: (() => void)[] = [];
  let level = "info";
  let admin: { host: string; port: number } | undefined;
  let adminServer: ServerType | undefined;
  const adminAddr = bootstrap.admin?.address?.address;
  if (adminAddr?.case === "socketAddress" && adminAddr.value.portSpecifier.case === "portValue") {
    const app = createAdminApp(proxy, {
      version: VERSION,
      quit: () => quitters.forEach((q) => q()),
      drainListeners: () => proxy.listeners.forEach((l) => l.drain()),
      logLevel: () => level,
      setLogLevel: (l) => {
        if (!["trace", "debug", "info", "warning", "error", "critical", "off"].includes(l)) return false;
        level = l;
        return true;
      },
      configDump: () => renderConfigDump(proxy, registry),
    });
    const host = adminAddr.value.address;
    const port = adminAddr.value.portSpecifier.value;
    admin = await new Promise((resolve, reject) => {
      adminServer = serve(
        { fetch: app.fetch, hostname: host, port },
        (info) => resolve({ host, port: info.port }),
      );
      adminServer.once(
        "error",
        (err) =>
          reject(new WeftError("config", `admin.address: cannot listen on ${host}:${port}: ${err.message}`)),
      );
    });
  }
  return {
    proxy,
    admin,
    async stop(drainMs) {
      await proxy.drain(drainMs);
      adminServer?.close();
      (adminServer as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
    },
    onQuit: (fn) => quitters.push(fn),
  };
}

async function readBootstrapFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new WeftError("config", `cannot read bootstrap ${path}: ${(err as Error).message}`);
  }
}
