// Upstream pools on fetch() inside workerd, against the loopback conformance upstream: shapes, bodies, errors.
import { describe, expect, inject, it } from "vitest";
import { createFetchPool, fetchPoolRefusal } from "../../adapters/workers/upstream-fetch.ts";
import { createWorkersRuntime } from "../../adapters/workers/runtime.ts";
import type { UpstreamPoolOptions, UpstreamRequest } from "../../proxy/http/types.ts";
import { isWeftError, WeftError } from "../../proxy/errors.ts";
import { AttemptCancel } from "../../proxy/http/attempt-cancel.ts";
import { createConfigRegistry, createProxy, loadBootstrap } from "../../mod.ts";
import "./support/provided.ts";

const ctx = inject("workers");
const realFetch = (input: string, init: RequestInit) => fetch(input, init);

function pool(port: number, extra: Partial<UpstreamPoolOptions> = {}) {
  return createFetchPool({
    host: "127.0.0.1",
    port,
    protocol: "http1",
    connectTimeoutMs: 1000,
    maxConnections: 10,
    idleTimeoutMs: 1000,
    ...extra,
  }, realFetch);
}

function req(path: string, extra: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return { method: "GET", scheme: "http", authority: "web.test", path, headers: {}, body: null, ...extra };
}

async function text(body: AsyncIterable<Uint8Array> | null): Promise<string> {
  if (!body) return "";
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return new TextDecoder().decode(await new Blob(parts).arrayBuffer());
}

interface Echo {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

describe("fetch() upstream pool", () => {
  it("sends method, path and headers; the upstream sees the endpoint as Host", async () => {
    const res = await pool(ctx.upstreamPorts[0]).request(
      req("/echo/a?b=1", { headers: { "x-test": "1", "x-multi": ["a", "b"], host: "web.test" } }),
    );
    expect(res.status).toBe(200);
    expect(res.headers["x-upstream-port"]).toBe(String(ctx.upstreamPorts[0]));
    const echo = JSON.parse(await text(res.body)) as Echo;
    expect(echo.path).toBe("/echo/a?b=1");
    expect(echo.headers["x-test"]).toBe("1");
    expect(echo.headers["x-multi"]).toBe("a, b");
    expect(echo.headers["host"]).toBe(`127.0.0.1:${ctx.upstreamPorts[0]}`);
  });

  it("keeps a declared Content-Length on a streamed request body, and streams chunked without one", async () => {
    const sized = await pool(ctx.upstreamPorts[0]).request(req("/echo", {
      method: "POST",
      headers: { "content-length": "10" },
      body: chunks("01234", "56789"),
    }));
    const a = JSON.parse(await text(sized.body)) as Echo;
    expect(a.body).toBe("0123456789");
    expect(a.headers["content-length"]).toBe("10");
    expect(a.headers["transfer-encoding"]).toBeUndefined();

    const open = await pool(ctx.upstreamPorts[0]).request(
      req("/echo", { method: "PUT", body: chunks("ab", "cd") }),
    );
    const b = JSON.parse(await text(open.body)) as Echo;
    expect(b.method).toBe("PUT");
    expect(b.body).toBe("abcd");
    expect(b.headers["transfer-encoding"]).toBe("chunked");
  });

  it("does not follow redirects and has no body for HEAD and 204", async () => {
    const p = pool(ctx.upstreamPorts[0]);
    const moved = await p.request(req("/status/302"));
    expect(moved.status).toBe(302);
    expect(moved.headers["location"]).toBe("/moved");
    await text(moved.body);
    expect((await p.request(req("/status/204"))).body).toBeNull();
    const head = await p.request(req("/echo", { method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it("reports a refused connection as upstream_connect_failure", async () => {
    const err = await pool(ctx.closedPort).request(req("/echo")).catch((e) => e);
    expect(isWeftError(err, "upstream_connect_failure")).toBe(true);
    expect(String(err.message)).toContain(`127.0.0.1:${ctx.closedPort}`);
  });

  it("rejects with the cancellation's reason, cancelled before or during the request", async () => {
    const reason = new WeftError("upstream_per_try_timeout", "no response within 100 ms");
    const pre = new AttemptCancel();
    pre.cancel(reason);
    await expect(pool(ctx.upstreamPorts[0]).request(req("/echo", { cancel: pre }))).rejects.toBe(reason);

    const during = new AttemptCancel();
    const started = Date.now();
    setTimeout(() => during.cancel(reason), 100);
    const err = await pool(ctx.upstreamPorts[0]).request(req("/delay/3000", { cancel: during }))
      .catch((e) => e);
    expect(err).toBe(reason);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("refuses HTTP/2, custom CAs and client certificates (TLS always verifies); upgrades are unsupported", async () => {
    expect(fetchPoolRefusal({ protocol: "http2" })).toMatch(/HTTP\/2/);
    expect(fetchPoolRefusal({ protocol: "http1", tls: { caPem: "PEM" } })).toMatch(/custom CA/);
    expect(fetchPoolRefusal({ protocol: "http1", tls: { certPem: "C", keyPem: "K" } })).toMatch(
      /client certificate/,
    );
    expect(fetchPoolRefusal({ protocol: "http1", tls: { insecure: true } })).toBeUndefined();
    expect(fetchPoolRefusal({ protocol: "http1", tls: { serverName: "a.example" } })).toBeUndefined();
    const err = await pool(ctx.upstreamPorts[0]).upgrade(req("/ws")).catch((e) => e);
    expect(isWeftError(err, "unsupported")).toBe(true);
  });
});

describe("config the Workers runtime cannot run is rejected at load time", () => {
  const bootstrap = (clusterExtra: string, listener = "") =>
    loadBootstrap(
      `
static_resources:
  listeners:
    - name: edge
      address: { socket_address: { address: 0.0.0.0, port_value: 80 } }
      filter_chains:
        - filters:
${
        listener || `            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: edge
                route_config: { virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: / }, route: { cluster: web } }] }] }
                http_filters: [{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]`
      }
  clusters:
    - name: web
      type: STATIC
${clusterExtra}
      load_assignment: { cluster_name: web, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${
        ctx.upstreamPorts[0]
      } } } } }] }] }
`,
      "edge.yaml",
      createConfigRegistry(),
    );
  const runtime = () => createWorkersRuntime({}, undefined, { log: () => {} });

  it("an HTTP/2 upstream cluster", async () => {
    const err = await createProxy({
      runtime: runtime(),
      bootstrap: bootstrap("      http2_protocol_options: {}"),
    })
      .catch((e) => e);
    expect(isWeftError(err, "unsupported")).toBe(true);
    expect(err.message).toBe(
      "static_resources.clusters[0]: the workers runtime cannot do HTTP/2 to upstreams; see docs/runtimes.md",
    );
  });

  it("upstream TLS with a trusted CA (fetch() has only the runtime's trust store)", async () => {
    const tls = `      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
          sni: web.example.com
          common_tls_context: { validation_context: { trusted_ca: { inline_string: "-----BEGIN CERTIFICATE-----" } } }`;
    const err = await createProxy({ runtime: runtime(), bootstrap: bootstrap(tls) }).catch((e) => e);
    expect(isWeftError(err, "unsupported")).toBe(true);
    expect(err.message).toBe(
      "static_resources.clusters[0]: the workers runtime cannot do upstream TLS with a custom CA or a client " +
        "certificate (fetch() uses the runtime's trust store); see docs/runtimes.md",
    );
  });

  it("a tcp_proxy listener", async () => {
    const tcp = `            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: tcp
                cluster: web`;
    const err = await createProxy({ runtime: runtime(), bootstrap: bootstrap("", tcp) }).catch((e) => e);
    expect(isWeftError(err, "unsupported")).toBe(true);
    expect(err.message).toBe(
      "static_resources.listeners[0]: the workers runtime runs only HTTP listeners with one filter chain " +
        "(no filter_chain_match, no tcp_proxy); see docs/runtimes.md",
    );
  });

  it("while a plain HTTP/1.1 listener and cluster start and serve", async () => {
    const proxy = await createProxy({ runtime: runtime(), bootstrap: bootstrap("") });
    try {
      const handler = proxy.httpHandler()!;
      const res = await handler({
        method: "GET",
        scheme: "http",
        authority: "edge.test",
        path: "/echo/x",
        headers: { host: "edge.test" },
        protocol: "HTTP/1.1",
        body: null,
        trailers: () => undefined,
        signal: new AbortController().signal,
        remoteAddress: "198.51.100.1",
        remotePort: 0,
        localAddress: "edge.test",
        localPort: 80,
      });
      expect(res.status).toBe(200);
      expect(res.headers["x-upstream-port"]).toBe(String(ctx.upstreamPorts[0]));
    } finally {
      await proxy.close();
    }
  });
});
