// Interop: @grpc/grpc-js-xds resolves xds:/// through Weft's control plane; a VirtualService steers its calls.
import { createRequire } from "node:module";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TYPE_URLS } from "../../control/xds/snapshot.ts";
import { type RunningControl, startNodeControlPlane } from "../../adapters/node/start-control.ts";

interface EchoRequest {
  message: string;
}
interface EchoResponse {
  message: string;
}
type EchoClient = grpc.Client & {
  Echo(
    req: EchoRequest,
    md: grpc.Metadata,
    opts: grpc.CallOptions,
    cb: grpc.requestCallback<EchoResponse>,
  ): grpc.ClientUnaryCall;
};

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const definition = grpc.loadPackageDefinition(
  loadSync(fixture("echo.proto"), { keepCase: true, defaults: true }),
);
// deno-lint-ignore no-explicit-any
const EchoService = (definition.weft as any).test.Echo as grpc.ServiceClientConstructor;

const TARGET = "xds:///greeter.default.svc.cluster.local:9080";
const NODE_ID = "proxyless~127.0.0.1~client.default~default.svc.cluster.local";
const PODS = { v1: "127.0.4.1", v2: "127.0.4.2" } as const;

let configDir: string;
let control: RunningControl;
let client: EchoClient;
const servers: grpc.Server[] = [];
const controlLog: string[] = [];

/** A real grpc-js server on the pod IP, answering every Echo with its version. */
async function startGreeter(version: keyof typeof PODS): Promise<grpc.Server> {
  const server = new grpc.Server();
  server.addService(EchoService.service, {
    Echo(_call: grpc.ServerUnaryCall<EchoRequest, EchoResponse>, cb: grpc.sendUnaryData<EchoResponse>) {
      cb(null, { message: version });
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`${PODS[version]}:9080`, grpc.ServerCredentials.createInsecure(), (err) => {
      if (err) reject(err);
      else resolve();
    })
  );
  return server;
}

function call(user?: string, waitForReady = false): Promise<string> {
  const md = new grpc.Metadata({ waitForReady });
  if (user !== undefined) md.set("x-user", user);
  const opts: grpc.CallOptions = { deadline: Date.now() + 5_000 };
  return new Promise((resolve, reject) =>
    client.Echo({ message: "hi" }, md, opts, (err, res) => (err ? reject(err) : resolve(res!.message)))
  );
}

/** `n` calls, 50 in flight at a time; counts answers per version. */
async function tally(n: number, user?: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let done = 0; done < n; done += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - done) }, () => call(user)));
    for (const v of batch) counts[v] = (counts[v] ?? 0) + 1;
  }
  return counts;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 5_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface TypeStatusJson {
  sentVersion?: string;
  ackedVersion?: string;
  lastNack?: { message: string };
}
interface ProxyStatusJson {
  identity: { id: string; type: string };
  types: Record<string, TypeStatusJson>;
}

async function pushStatus(): Promise<ProxyStatusJson | undefined> {
  const res = await fetch(`http://127.0.0.1:${control.monitoringPort}/debug/push_status`);
  const body = (await res.json()) as { proxies: ProxyStatusJson[] };
  return body.proxies.find((p) => p.identity.id === NODE_ID);
}

describe("@grpc/grpc-js-xds against Weft's control plane", () => {
  beforeAll(async () => {
    configDir = await mkdtemp(join(tmpdir(), "weft-grpc-xds-"));
    await copyFile(fixture("grpc-xds/greeter.yaml"), join(configDir, "greeter.yaml"));
    await copyFile(fixture("grpc-xds/virtual-service-split.yaml"), join(configDir, "virtual-service.yaml"));
    servers.push(await startGreeter("v1"), await startGreeter("v2"));
    control = await startNodeControlPlane({
      configDir,
      xdsPort: 0,
      monitoringPort: 0,
      log: (line) => controlLog.push(line),
    });
    // grpc-js-xds reads its bootstrap once, at the first xds: channel (a bootstrap file would win over
    // the inline config); registration is process-wide, so it stays in this one file
    delete process.env.GRPC_XDS_BOOTSTRAP;
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
      xds_servers: [{
        server_uri: `127.0.0.1:${control.xdsPort}`,
        channel_creds: [{ type: "insecure" }],
        server_features: ["xds_v3"],
      }],
      // grpc-js-xds rejects a bootstrap whose node has no locality object
      node: { id: NODE_ID, locality: {}, metadata: { GENERATOR: "grpc", NAMESPACE: "default" } },
    });
    createRequire(import.meta.url)("@grpc/grpc-js-xds").register();
    client = new EchoService(TARGET, grpc.credentials.createInsecure()) as unknown as EchoClient;
  });

  afterAll(async () => {
    client?.close();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.tryShutdown(() => r()))));
    await control?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it("resolves the xds:/// target and splits calls 80/20 between v1 and v2", async () => {
    expect(["v1", "v2"]).toContain(await call(undefined, true));
    const counts = await tally(400);
    expect((counts.v1 ?? 0) + (counts.v2 ?? 0)).toBe(400);
    // binomial(400, 0.2): σ = 2 points, so ±8 points is 4σ
    const v2Share = (counts.v2 ?? 0) / 400;
    expect(v2Share).toBeGreaterThan(0.12);
    expect(v2Share).toBeLessThan(0.28);
  });

  it("sends every call with x-user: alice to v2", async () => {
    expect(await tally(100, "alice")).toEqual({ v2: 100 });
  });

  it("lists the client in push status with LDS/RDS/CDS/EDS acked and no NACKs", async () => {
    const proxy = await eventually("all four types acked", async () => {
      const p = await pushStatus();
      const types = [TYPE_URLS.listener, TYPE_URLS.route, TYPE_URLS.cluster, TYPE_URLS.endpoint];
      const acked = types.every((t) => p?.types[t]?.ackedVersion !== undefined);
      return p && acked ? p : undefined;
    });
    expect(proxy.identity.type).toBe("proxyless");
    for (const t of [TYPE_URLS.listener, TYPE_URLS.route, TYPE_URLS.cluster, TYPE_URLS.endpoint]) {
      expect(proxy.types[t].ackedVersion, t).toBe(proxy.types[t].sentVersion);
      expect(proxy.types[t].lastNack, t).toBeUndefined();
    }
  });

  it("follows an edit of the VirtualService to 100% v1 within a few seconds", async () => {
    const before = (await pushStatus())!.types[TYPE_URLS.route].ackedVersion;
    await copyFile(fixture("grpc-xds/virtual-service-all-v1.yaml"), join(configDir, "virtual-service.yaml"));
    await eventually("all calls on v1", async () => {
      const counts = await tally(50);
      return counts.v1 === 50 ? counts : undefined;
    });
    // the header route is gone too, and the new route configuration was acked without a NACK
    expect(await tally(100)).toEqual({ v1: 100 });
    expect(await tally(20, "alice")).toEqual({ v1: 20 });
    const after = (await pushStatus())!.types[TYPE_URLS.route];
    expect(after.ackedVersion).not.toBe(before);
    expect(after.ackedVersion).toBe(after.sentVersion);
    expect(after.lastNack).toBeUndefined();
  });
});
