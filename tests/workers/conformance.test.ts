// Runs the shared conformance cases on the Workers runtime adapter inside workerd: one `it` per case.
//
// Each proxy is registered with the test Worker under a URL of its own; the cases' fetch() to that URL goes
// through SELF (a real Worker invocation with its own ExecutionContext) into the proxy, and the proxy's
// upstream fetch() goes out to the loopback upstream the global setup started.
import { SELF } from "cloudflare:test";
import { afterAll, describe, inject, it } from "vitest";
import { createConfigRegistry, createProxy, loadBootstrap } from "../../mod.ts";
import { createWorkersRuntime } from "../../adapters/workers/runtime.ts";
import { allCases, type ConformanceHarness } from "../conformance/case-api.ts";
import "../conformance/cases/index.ts";
import { isProxyUrl, registerProxy, unregisterProxy } from "./support/test-worker.ts";
import "./support/provided.ts";

const ctx = inject("workers");
const realFetch = globalThis.fetch;

globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  return isProxyUrl(url) ? SELF.fetch(input, init) : realFetch(input, init);
}) as typeof fetch;

afterAll(() => {
  globalThis.fetch = realFetch;
});

const harness: ConformanceHarness = {
  runtime: "workers",
  upstream: { port: ctx.upstreamPorts[0], ports: ctx.upstreamPorts, closedPort: ctx.closedPort },
  async startProxy(yaml) {
    const bootstrap = loadBootstrap(yaml, "conformance.yaml", createConfigRegistry());
    const runtime = createWorkersRuntime({}, undefined, {
      log: () => {},
      fetch: (input, init) => realFetch(input, init),
    });
    const proxy = await createProxy({ runtime, bootstrap });
    const url = registerProxy(proxy, runtime);
    return {
      url,
      proxy,
      async close() {
        unregisterProxy(url);
        await proxy.close();
      },
    };
  },
};

describe("conformance (workers)", () => {
  for (const c of allCases()) {
    const reason = c.skip?.workers;
    if (reason) it.skip(`${c.name} — ${reason}`, () => {});
    else it(c.name, () => c.run(harness));
  }
});
