// Runs the conformance cases on the Node runtime adapter (vitest): one `it` per case.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createConfigRegistry, createProxy, loadBootstrap } from "../../mod.ts";
import { createNodeRuntime, createXdsTransport } from "../../adapters/node/mod.ts";
import { allCases, type ConformanceHarness, type ConformanceUpstream } from "./case-api.ts";
import "./cases/index.ts";

let child: ChildProcess | undefined;
let upstream: ConformanceUpstream;

/** Starts tests/conformance/upstream-server.ts and reads the ports it prints. */
async function startUpstream(): Promise<ConformanceUpstream> {
  const script = fileURLToPath(new URL("./upstream-server.ts", import.meta.url));
  child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["pipe", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child!.stdout! });
    lines.once("line", resolve);
    child!.once("exit", (code) => reject(new Error(`upstream-server exited with ${code}`)));
  });
  const info = JSON.parse(line) as { ports: number[]; closedPort: number };
  return { port: info.ports[0], ports: info.ports, closedPort: info.closedPort };
}

const harness: ConformanceHarness = {
  runtime: "node",
  get upstream() {
    return upstream;
  },
  async startProxy(yaml) {
    const bootstrap = loadBootstrap(yaml, "conformance.yaml", createConfigRegistry());
    const proxy = await createProxy({
      runtime: createNodeRuntime({ log: () => {} }),
      bootstrap,
      xdsTransport: createXdsTransport,
    });
    const l = proxy.listeners[0];
    return { url: `http://127.0.0.1:${l.port}`, proxy, close: () => proxy.drain(100) };
  },
};

beforeAll(async () => {
  upstream = await startUpstream();
});

afterAll(() => {
  child?.stdin?.end();
  child?.kill();
});

describe("conformance (node)", () => {
  for (const c of allCases()) {
    const reason = c.skip?.node;
    if (reason) it.skip(`${c.name} — ${reason}`, () => {});
    else it(c.name, () => c.run(harness));
  }
});
