// Runs the conformance cases on the Deno runtime adapter: `deno test -A tests/conformance/deno.test.ts`.
import { createConfigRegistry, createProxy, loadBootstrap } from "../../mod.ts";
import { createDenoRuntime } from "../../adapters/deno/mod.ts";
import { allCases, type ConformanceHarness, type ConformanceUpstream } from "./case-api.ts";
import "./cases/index.ts";

/** Starts tests/conformance/upstream-server.ts under Node (the one upstream all runtimes share). */
async function startUpstream(): Promise<{ info: ConformanceUpstream; stop(): Promise<void> }> {
  const script = new URL("./upstream-server.ts", import.meta.url).pathname;
  const child = new Deno.Command("node", {
    args: ["--import", "tsx", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("upstream-server exited before printing its ports");
    text += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  const info = JSON.parse(text.slice(0, text.indexOf("\n"))) as { ports: number[]; closedPort: number };
  return {
    info: { port: info.ports[0], ports: info.ports, closedPort: info.closedPort },
    async stop() {
      await child.stdin.close().catch(() => {});
      try {
        child.kill();
      } catch { /* exited */ }
      await child.status;
    },
  };
}

const upstream = await startUpstream();

const harness: ConformanceHarness = {
  runtime: "deno",
  upstream: upstream.info,
  async startProxy(yaml) {
    const bootstrap = loadBootstrap(yaml, "conformance.yaml", createConfigRegistry());
    const proxy = await createProxy({ runtime: createDenoRuntime({ log: () => {} }), bootstrap });
    const l = proxy.listeners[0];
    return { url: `http://127.0.0.1:${l.port}`, proxy, close: () => proxy.drain(100) };
  },
};

const cases = allCases();
cases.forEach((c, i) => {
  const reason = c.skip?.deno;
  Deno.test({
    name: reason ? `${c.name} — skipped: ${reason}` : c.name,
    ignore: Boolean(reason),
    // The proxy keeps pooled upstream connections and timers between cases; each case closes its proxy.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      try {
        await c.run(harness);
      } finally {
        if (i === cases.length - 1) await upstream.stop();
      }
    },
  });
});
