// The edge worker's config from a real control server (EdgeConfigService over Connect on HTTP/1.1), in workerd:
// first load, lazy refresh, not-modified polls, rejected config, control-plane outages, the KV store, Watch.
import { env } from "cloudflare:workers";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { afterEach, describe, expect, inject, it } from "vitest";
import { createEdgeWorker, type EdgeWorkerOptions } from "../../adapters/workers/edge-worker.ts";
import {
  connectConfigSource,
  kvConfigStore,
  workersFetch,
} from "../../adapters/workers/edge-config-source.ts";
import { EdgeConfigService } from "../../gen/weft/edge/v1/edge_pb.ts";
import { admin, createTestContext, echoOf, edgeNode } from "./support/edge-helpers.ts";
import "./support/provided.ts";

const ctx = inject("workers");
const bindings = env as unknown as { WEFT_CONFIG_KV: KVNamespace };

afterEach(async () => {
  await admin(ctx.fixedAdminUrl, "start");
  await admin(ctx.fixedAdminUrl, "variant/a");
});

function edge(extra: Partial<EdgeWorkerOptions<object>> = {}) {
  const logs: string[] = [];
  const worker = createEdgeWorker<object>({
    configSource: () =>
      connectConfigSource({ baseUrl: ctx.fixedControlUrl, node: edgeNode(), timeoutMs: 2000 }),
    refreshSeconds: 0, // every request starts a refresh (in ctx.waitUntil)
    runtime: { log: (line) => logs.push(line) },
    ...extra,
  });
  const get = async (path: string, c = createTestContext()) => {
    const res = await worker.fetch(new Request(`http://edge.test${path}`), {}, c);
    await c.settle();
    return res;
  };
  return { worker, logs, get };
}

describe("edge config from the control plane", () => {
  it("is pulled on the first request, and requests are routed by it", async () => {
    const version = await admin(ctx.fixedAdminUrl, "variant/a");
    const { worker, get } = edge();
    const res = await get("/echo/first");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-config")).toBe("a");
    expect((await echoOf(res)).port).toBe(ctx.upstreamPorts[0]);
    const state = await worker.state!;
    expect(state.loader?.version).toBe(version);
    expect(state.loader?.origin).toBe("control-plane");
  });

  it("is refreshed lazily: a new version arrives in ctx.waitUntil and serves the requests after it", async () => {
    const { worker, get } = edge();
    expect((await get("/echo")).headers.get("x-config")).toBe("a");
    const b = await admin(ctx.fixedAdminUrl, "variant/b");
    const during = await get("/echo"); // served on "a" while its refresh fetches "b"
    expect(during.headers.get("x-config")).toBe("a");
    await during.text();
    const after = await get("/echo");
    expect(after.headers.get("x-config")).toBe("b");
    expect((await echoOf(after)).port).toBe(ctx.upstreamPorts[1]);
    expect((await worker.state!).loader?.version).toBe(b);
  });

  it("is asked for with the known version: an unchanged config is not sent again", async () => {
    const source = connectConfigSource({ baseUrl: ctx.fixedControlUrl, node: edgeNode() });
    const first = await source.fetch("");
    expect(first?.resources.map((r) => r.typeUrl.split(".").pop())).toEqual([
      "Cluster",
      "ClusterLoadAssignment",
      "Listener",
      "RouteConfiguration",
    ]);
    expect(await source.fetch(first!.version)).toBeUndefined();
  });

  it("that the Workers runtime cannot run is rejected once; the previous config stays in force", async () => {
    const a = await admin(ctx.fixedAdminUrl, "variant/a");
    const { worker, logs, get } = edge();
    await (await get("/echo")).text();
    await admin(ctx.fixedAdminUrl, "variant/tcp");
    await (await get("/echo")).text(); // its refresh fetches the tcp_proxy listener and rejects it
    await (await get("/echo")).text(); // the rejected version is known: not fetched again
    const rejected = logs.filter((l) => l.includes("rejected"));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toContain("runs only HTTP listeners with one filter chain");
    expect(rejected[0]).toContain(`keeping ${a}`);
    const res = await get("/echo");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-config")).toBe("a");
    expect((await worker.state!).loader?.version).toBe(a);
  });

  it("keeps routing on the last good config while the control plane is down, and logs that once", async () => {
    const { logs, get } = edge();
    await (await get("/echo")).text();
    await admin(ctx.fixedAdminUrl, "stop");
    for (let i = 0; i < 3; i++) {
      const res = await get("/echo");
      expect(res.status).toBe(200);
      expect(res.headers.get("x-config")).toBe("a");
      await res.text();
    }
    const down = logs.filter((l) => l.includes("control plane unreachable"));
    expect(down).toHaveLength(1);
    expect(down[0]).toMatch(/keeping version [0-9a-f]{16} until it answers/);
    await admin(ctx.fixedAdminUrl, "start");
    await (await get("/echo")).text();
    expect(logs.filter((l) => l.includes("reachable again"))).toHaveLength(1);
  });

  it("with no config yet and the control plane down, answers 503 saying so", async () => {
    await admin(ctx.fixedAdminUrl, "stop");
    const { logs, get } = edge();
    const res = await get("/echo");
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("weft edge: no config from the control plane yet\n");
    expect(logs.filter((l) => l.includes("unreachable"))).toHaveLength(1);
  });

  it("survives in a KV store: a fresh isolate serves the stored config while the control plane is down", async () => {
    const a = await admin(ctx.fixedAdminUrl, "variant/a");
    const store = () => kvConfigStore(bindings.WEFT_CONFIG_KV, edgeNode().id);
    const first = edge({ configStore: store });
    await (await first.get("/echo")).text();
    await admin(ctx.fixedAdminUrl, "stop");
    const fresh = edge({ configStore: store });
    const res = await fresh.get("/echo/stored");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-config")).toBe("a");
    const state = await fresh.worker.state!;
    expect(state.loader?.origin).toBe("store");
    expect(state.loader?.version).toBe(a);
    expect(fresh.logs).toContain(`edge config: serving stored version ${a}`);
  });
});

describe("EdgeConfigService.Watch from workerd", () => {
  it("streams the current config, then each new version (server streaming over HTTP/1.1)", async () => {
    const a = await admin(ctx.fixedAdminUrl, "variant/a");
    const transport = createConnectTransport({
      baseUrl: ctx.fixedControlUrl,
      useBinaryFormat: true,
      fetch: workersFetch((input, init) => fetch(input, init)) as typeof fetch,
    });
    const abort = new AbortController();
    const stream = createClient(EdgeConfigService, transport).watch({ node: edgeNode() }, {
      signal: abort.signal,
    });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.version).toBe(a);
    expect(first.value?.resources).toHaveLength(4);
    const b = await admin(ctx.fixedAdminUrl, "variant/b");
    const second = await iterator.next();
    expect(second.value?.version).toBe(b);
    expect(second.value?.notModified).toBe(false);
    abort.abort();
    await iterator.return?.();
  });
});
