// Deno adapter tests (deno test): TLS both ways, SNI through the CONNECT shim, tcp_proxy, refusals, sockets, DNS.
import { createConfigRegistry, createProxy, loadBootstrap, type Proxy, WeftError } from "../../mod.ts";
import { createDenoRuntime } from "../../adapters/deno/mod.ts";
import { assert } from "../conformance/case-api.ts";
import { httpBootstrap, indent, routeConfig, staticCluster } from "../conformance/bootstrap.ts";
import { makePki } from "./pki.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const pki = await makePki();
const dir = pki.dir;

async function start(yaml: string): Promise<Proxy> {
  return await createProxy({
    runtime: createDenoRuntime({ log: () => {} }),
    bootstrap: loadBootstrap(yaml, "deno.yaml", createConfigRegistry()),
  });
}

/**
 * A loopback port nothing listens on, below the ephemeral range (32768+): a connection to a closed ephemeral port
 * can be given that port as its source and connect to itself (see tests/support/closed-port.ts).
 */
function unusedPort(): number {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 10_000);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch {
      // taken: try another
    }
  }
}

async function rejection(p: Promise<unknown>): Promise<WeftError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof WeftError, `expected a WeftError, got ${err}`);
    return err;
  }
  throw new Error("expected a rejection");
}

/** An HTTPS upstream for svc.test on 127.0.0.1 (Deno.serve); answers with the Host it saw. */
function tlsUpstream() {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: pki.cert, key: pki.key, onListen() {} },
    (req) => new Response(`tls upstream saw host ${req.headers.get("host")}`),
  );
}

const upstreamTls = (sni: string) =>
  `transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
    sni: ${sni}
    common_tls_context:
      validation_context: { trusted_ca: { filename: ${dir}/ca.crt } }`;

const downstreamTls = (extra = "") =>
  `transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
${indent(extra, 4)}
    common_tls_context:
      tls_certificates:
        - certificate_chain: { filename: ${dir}/svc.crt }
          private_key: { filename: ${dir}/svc.key }${
    extra ? `\n      validation_context: { trusted_ca: { filename: ${dir}/ca.crt } }` : ""
  }`;

/** httpBootstrap with a transport_socket on the listener's filter chain. */
function withListenerTls(yaml: string, tls: string): string {
  return yaml.replace(
    "        - filters:\n",
    `        - ${indent(tls, 10).trimStart()}\n          filters:\n`,
  );
}

/** One tcp_proxy listener on an ephemeral port to cluster `echo` at 127.0.0.1:<port>. */
const tcpProxyBootstrap = (port: number) => `
static_resources:
  listeners:
    - name: tcp
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: tcp
                cluster: echo
  clusters:
${indent(staticCluster("echo", [port]), 4)}
`;

Deno.test({
  name: "upstream TLS: SNI and verification by the cluster's sni, dialing the endpoint IP",
  ...opts,
  fn: async () => {
    const upstream = tlsUpstream();
    const routes = routeConfig(`- { match: { prefix: / }, route: { cluster: secure } }`);
    const good = await start(
      httpBootstrap({
        routes,
        clusters: staticCluster("secure", [upstream.addr.port], upstreamTls("svc.test")),
      }),
    );
    const bad = await start(
      httpBootstrap({
        routes,
        clusters: staticCluster("secure", [upstream.addr.port], upstreamTls("wrong.test")),
      }),
    );
    try {
      const ok = await fetch(`http://127.0.0.1:${good.listeners[0].port}/x`);
      assert.equal(ok.status, 200, "status through verified TLS");
      assert.match(await ok.text(), /^tls upstream saw host 127\.0\.0\.1:\d+$/, "body");
      const refused = await fetch(`http://127.0.0.1:${bad.listeners[0].port}/x`);
      await refused.body?.cancel();
      assert.equal(refused.status, 503, "a certificate not valid for the sni is a connect failure");
      assert.equal(
        bad.stats.counter("cluster.secure.upstream_cx_connect_fail").value,
        1,
        "upstream_cx_connect_fail",
      );
    } finally {
      await Promise.all([good.drain(50), bad.drain(50)]);
      await upstream.shutdown();
    }
  },
});

Deno.test({
  name: "downstream TLS: Deno.serve terminates HTTPS (HTTP/1.1 and HTTP/2 via ALPN)",
  ...opts,
  fn: async () => {
    const routes = routeConfig(
      `- { match: { prefix: / }, direct_response: { status: 200, body: { inline_string: "secure" } } }`,
    );
    const proxy = await start(withListenerTls(httpBootstrap({ routes, clusters: "[]" }), downstreamTls()));
    try {
      // The name the client verifies (svc.test) is not the address it dials: Deno.connect + Deno.startTls.
      const tls = await Deno.startTls(
        await Deno.connect({ hostname: "127.0.0.1", port: proxy.listeners[0].port }),
        {
          hostname: "svc.test",
          caCerts: [pki.ca],
          alpnProtocols: ["h2", "http/1.1"],
        },
      );
      const { alpnProtocol } = await tls.handshake();
      assert.equal(alpnProtocol, "h2", "ALPN offers h2");
      tls.close();
      const h1 = await Deno.startTls(
        await Deno.connect({ hostname: "127.0.0.1", port: proxy.listeners[0].port }),
        {
          hostname: "svc.test",
          caCerts: [pki.ca],
          alpnProtocols: ["http/1.1"],
        },
      );
      await h1.write(
        new TextEncoder().encode("GET / HTTP/1.1\r\nhost: svc.test\r\nconnection: close\r\n\r\n"),
      );
      let text = "";
      const buf = new Uint8Array(4096);
      for (let n = await h1.read(buf); n !== null; n = await h1.read(buf)) {
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      h1.close();
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nsecure$/, "HTTPS response");
    } finally {
      await proxy.drain(50);
    }
  },
});

Deno.test({
  name: "refusals: HTTP/2 clusters and multi-chain HTTP listeners fail at load with 'unsupported'",
  ...opts,
  fn: async () => {
    const routes = routeConfig(`- { match: { prefix: / }, direct_response: { status: 200 } }`);
    const h2 = await rejection(start(httpBootstrap({
      routes,
      clusters: staticCluster("grpc", [1234], "http2_protocol_options: {}"),
    })));
    assert.equal(h2.code, "unsupported", "http2 code");
    assert.match(
      h2.message,
      /static_resources\.clusters\[0\].*deno.*HTTP\/2/,
      "http2 message names the cluster",
    );
    const twoChains = httpBootstrap({ routes, clusters: "[]" }).replace(
      "        - filters:\n",
      "        - filter_chain_match: { destination_port: 1 }\n          filters:\n",
    );
    const chains = await rejection(start(twoChains));
    assert.equal(chains.code, "unsupported", "filter_chain_match code");
    assert.match(chains.message, /deno runtime runs only HTTP listeners with one filter chain/, "message");
  },
});

Deno.test({
  name: "tcp_proxy: raw TCP through Deno.listen / Deno.connect, both directions, half-close",
  ...opts,
  fn: async () => {
    const echo = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    (async () => {
      for await (const c of echo) {
        (async () => {
          const buf = new Uint8Array(1024);
          for (let n = await c.read(buf); n !== null; n = await c.read(buf)) {
            await c.write(buf.slice(0, n).reverse());
          }
          await c.write(new TextEncoder().encode("|bye"));
          c.close();
        })().catch(() => {});
      }
    })().catch(() => {});
    const proxy = await start(tcpProxyBootstrap(echo.addr.port));
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.listeners[0].port });
      await conn.write(new TextEncoder().encode("abc"));
      const buf = new Uint8Array(64);
      const n = await conn.read(buf);
      assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "cba", "echoed through the proxy");
      await conn.closeWrite();
      let rest = "";
      for (let m = await conn.read(buf); m !== null; m = await conn.read(buf)) {
        rest += new TextDecoder().decode(buf.subarray(0, m));
      }
      assert.equal(rest, "|bye", "the upstream's last bytes after our FIN");
      conn.close();
    } finally {
      await proxy.drain(50);
      echo.close();
    }
  },
});

Deno.test({
  name: "WebSocket upgrades are answered 501 on Deno",
  ...opts,
  fn: async () => {
    const routes = routeConfig(`- { match: { prefix: / }, route: { cluster: web } }`);
    const proxy = await start(
      httpBootstrap({
        routes,
        clusters: staticCluster("web", [1]),
        hcmExtra: "upgrade_configs: [{ upgrade_type: websocket }]",
      }),
    );
    try {
      const res = await fetch(`http://127.0.0.1:${proxy.listeners[0].port}/ws`, {
        headers: { upgrade: "websocket", connection: "upgrade" },
      });
      assert.equal(res.status, 501, "status");
      assert.match(await res.text(), /WebSocket upgrade is not supported on the deno runtime/, "body");
    } finally {
      await proxy.drain(50);
    }
  },
});

Deno.test({
  name: "runtime: connect errors, peek replays bytes, DNS for localhost and literals",
  ...opts,
  fn: async () => {
    const runtime = createDenoRuntime({ log: () => {} });
    const closedPort = unusedPort();
    const refused = await rejection(
      runtime.net.connect({ host: "127.0.0.1", port: closedPort, timeoutMs: 1000 }),
    );
    assert.equal(refused.code, "upstream_connect_failure", "refused");

    const accepted = Promise.withResolvers<import("../../mod.ts").Connection>();
    const handle = await runtime.net.listen({ host: "127.0.0.1", port: 0 }, (c) => accepted.resolve(c));
    const client = await runtime.net.connect({ host: "127.0.0.1", port: handle.port, timeoutMs: 1000 });
    await client.write(new TextEncoder().encode("PRI * HTTP/2.0"));
    client.end();
    const server = await accepted.promise;
    const peeked = await server.peek(3, 1000);
    assert.equal(new TextDecoder().decode(peeked.subarray(0, 3)), "PRI", "peek");
    let all = "";
    for await (const chunk of server.readable) all += new TextDecoder().decode(chunk);
    assert.equal(all, "PRI * HTTP/2.0", "peeked bytes are read again, then the rest");
    assert.equal(server.remoteAddress, "127.0.0.1", "remote address");
    server.end();
    await server.closed;
    client.destroy();
    await handle.close();

    assert.deepEqual(await runtime.dns.resolve("localhost"), ["127.0.0.1"], "localhost");
    assert.deepEqual(await runtime.dns.resolve("10.1.2.3"), ["10.1.2.3"], "IPv4 literal");
    assert.equal(runtime.capabilities.downstreamMtls, true, "capabilities: mTLS via node:tls");
    assert.equal(
      runtime.capabilities.tlsOnAcceptedConnections,
      true,
      "capabilities: TLS on tcp_proxy chains",
    );
  },
});

/** A raw TCP upstream that reads the request, then answers `reply` (or nothing) and closes. */
function rawUpstream(reply: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of listener) {
      (async () => {
        await c.read(new Uint8Array(4096));
        if (reply) await c.write(new TextEncoder().encode(reply));
        c.close();
      })().catch(() => {});
    }
  })().catch(() => {});
  return listener;
}

Deno.test({
  name: "upstream errors map to flags: reset → 503 UC, malformed → 502 UPE, refused → 503 UF",
  ...opts,
  fn: async () => {
    const reset = rawUpstream("");
    const garbage = rawUpstream("FOO BAR\r\n\r\n");
    const closedPort = unusedPort();
    const routes = routeConfig(`
- { match: { prefix: /reset }, route: { cluster: reset } }
- { match: { prefix: /garbage }, route: { cluster: garbage } }
- { match: { prefix: /refused }, route: { cluster: refused } }`);
    const clusters = staticCluster("reset", [reset.addr.port]) +
      staticCluster("garbage", [garbage.addr.port]) +
      staticCluster("refused", [closedPort]);
    const proxy = await start(httpBootstrap({ routes, clusters }));
    const url = `http://127.0.0.1:${proxy.listeners[0].port}`;
    const flag = (f: string) => proxy.stats.counter(`http.conf.response_flags.${f}`).value;
    try {
      const r1 = await fetch(`${url}/reset`);
      await r1.body?.cancel();
      assert.equal(r1.status, 503, "reset status");
      assert.equal(flag("UC"), 1, "UC");
      const r2 = await fetch(`${url}/garbage`);
      await r2.body?.cancel();
      assert.equal(r2.status, 502, "malformed status");
      assert.equal(flag("UPE"), 1, "UPE");
      const r3 = await fetch(`${url}/refused`);
      await r3.body?.cancel();
      assert.equal(r3.status, 503, "refused status");
      assert.equal(flag("UF"), 1, "UF");
    } finally {
      await proxy.drain(50);
      reset.close();
      garbage.close();
    }
  },
});
