// createEdgeWorker with a static bootstrap, in workerd: routing, 503 UF, access log through waitUntil, bad config.
import { describe, expect, inject, it } from "vitest";
import { createEdgeWorker } from "../../adapters/workers/edge-worker.ts";
import { loadJsonBootstrap } from "../../adapters/workers/json-bootstrap.ts";
import { isWeftError } from "../../proxy/errors.ts";
import { createTestContext, echoOf } from "./support/edge-helpers.ts";
import "./support/provided.ts";

const ctx = inject("workers");

function bootstrapJson(filters: object[]) {
  const cluster = (name: string, port: number) => ({
    name,
    type: "STATIC",
    connect_timeout: "1s",
    load_assignment: {
      cluster_name: name,
      endpoints: [{
        lb_endpoints: [{
          endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: port } } },
        }],
      }],
    },
  });
  return {
    static_resources: {
      listeners: [{
        name: "edge",
        address: { socket_address: { address: "0.0.0.0", port_value: 80 } },
        filter_chains: [{ filters }],
      }],
      clusters: [cluster("web", ctx.upstreamPorts[0]), cluster("down", ctx.closedPort)],
    },
  };
}

const HCM = {
  name: "envoy.filters.network.http_connection_manager",
  typed_config: {
    "@type":
      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    stat_prefix: "edge",
    route_config: {
      virtual_hosts: [{
        name: "all",
        domains: ["*"],
        routes: [
          { match: { prefix: "/down" }, route: { cluster: "down" } },
          { match: { prefix: "/" }, route: { cluster: "web" } },
        ],
      }],
    },
    http_filters: [{
      name: "envoy.filters.http.router",
      typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
    }],
  },
};

function staticEdge(filters: object[] = [HCM]) {
  const lines: string[] = [];
  const flushes: number[] = [];
  const worker = createEdgeWorker<object>({
    bootstrap: () => loadJsonBootstrap(bootstrapJson(filters), "edge.json"),
    accessLog: true,
    runtime: {
      logSink: async (batch) => {
        flushes.push(batch.length);
        lines.push(...batch);
      },
    },
  });
  return { worker, lines, flushes };
}

describe("an edge worker with a static bootstrap", () => {
  it("routes requests and hands its access-log lines to the sink after the response (waitUntil)", async () => {
    const { worker, lines, flushes } = staticEdge();
    const c = createTestContext();
    const res = await worker.fetch(
      new Request("https://shop.example.com/echo/static?q=1", {
        headers: { "user-agent": "edge-test", "cf-connecting-ip": "198.51.100.7" },
      }),
      {},
      c,
    );
    expect(res.status).toBe(200);
    const echo = await echoOf(res);
    expect(echo.port).toBe(ctx.upstreamPorts[0]);
    expect(echo.path).toBe("/echo/static?q=1");
    expect(echo.headers["x-forwarded-proto"]).toBe("https");
    await c.settle();
    expect(flushes).toEqual([1]);
    expect(lines[0]).toContain('"GET /echo/static?q=1 HTTP/1.1" 200 - ');
    expect(lines[0]).toContain('"edge-test"');
    expect(lines[0]).toContain(`"shop.example.com" "127.0.0.1:${ctx.upstreamPorts[0]}"`);
  });

  it("answers 503 with flag UF when the upstream refuses the connection", async () => {
    const { worker, lines } = staticEdge();
    const c = createTestContext();
    const res = await worker.fetch(new Request("http://edge.test/down"), {}, c);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe(
      "upstream connect error or disconnect/reset before headers. reset reason: connection failure\n",
    );
    await c.settle();
    expect(lines[0]).toMatch(/"GET \/down HTTP\/1\.1" 503 UF /);
    const { proxy } = await worker.state!;
    expect(proxy.stats.counter("cluster.down.upstream_cx_connect_fail").value).toBe(1);
    expect(proxy.stats.counter("http.edge.response_flags.UF").value).toBe(1);
  });

  it("answers a WebSocket upgrade 501 instead of forwarding it without its Upgrade header", async () => {
    const { worker } = staticEdge();
    const res = await worker.fetch(
      new Request("http://edge.test/ws", { headers: { upgrade: "websocket", connection: "Upgrade" } }),
      {},
      createTestContext(),
    );
    expect(res.status).toBe(501);
    expect(await res.text()).toBe(
      "WebSocket upgrade is not supported on the workers runtime (see docs/runtimes.md)\n",
    );
  });

  it("answers 500 naming the problem when the bootstrap needs what Workers cannot do, and retries later", async () => {
    const tcp = {
      name: "envoy.filters.network.tcp_proxy",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
        stat_prefix: "tcp",
        cluster: "web",
      },
    };
    const { worker } = staticEdge([tcp]);
    const res = await worker.fetch(new Request("http://edge.test/"), {}, createTestContext());
    expect(res.status).toBe(500);
    expect(await res.text()).toBe(
      "weft edge: cannot start the proxy: static_resources.listeners[0]: the workers runtime runs only HTTP " +
        "listeners with one filter chain (no filter_chain_match, no tcp_proxy); see docs/runtimes.md\n",
    );
    expect(worker.state).toBeUndefined(); // the next request tries again
  });
});

describe("loadJsonBootstrap", () => {
  it("accepts JSON text or an object, and names the file and field of a problem", () => {
    const good = loadJsonBootstrap(JSON.stringify(bootstrapJson([HCM])), "WEFT_BOOTSTRAP");
    expect(good.staticResources?.clusters.map((c) => c.name)).toEqual(["web", "down"]);

    const unknown = (() => {
      try {
        loadJsonBootstrap({ static_resources: { listenerz: [] } }, "WEFT_BOOTSTRAP");
      } catch (err) {
        return err;
      }
    })();
    expect(isWeftError(unknown, "config")).toBe(true);
    expect((unknown as Error).message).toContain("WEFT_BOOTSTRAP");
    expect((unknown as Error).message).toContain("listenerz");

    expect(() => loadJsonBootstrap("{ not json", "WEFT_BOOTSTRAP")).toThrow(/WEFT_BOOTSTRAP.*not JSON/);
  });
});
