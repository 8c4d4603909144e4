// TLS on tcp_proxy chains on Deno (adapters/deno/start-tls.ts): node:tls over accepted sockets, SNI chains, mTLS.
import { createConfigRegistry, createProxy, loadBootstrap, type Proxy } from "../../mod.ts";
import { createDenoRuntime } from "../../adapters/deno/mod.ts";
import { assert } from "../conformance/case-api.ts";
import { indent, staticCluster } from "../conformance/bootstrap.ts";
import { makePki } from "./pki.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const pki = await makePki();

/** A TCP upstream that answers each chunk with `<name>:<chunk reversed>`. */
function echo(name: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of listener) {
      (async () => {
        const buf = new Uint8Array(1024);
        for (let n = await c.read(buf); n !== null; n = await c.read(buf)) {
          await c.write(
            new TextEncoder().encode(`${name}:${new TextDecoder().decode(buf.slice(0, n).reverse())}`),
          );
        }
        c.close();
      })().catch(() => {});
    }
  })().catch(() => {});
  return listener;
}

const tlsSocket = (extra = "") =>
  `transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
${indent(extra, 4)}
    common_tls_context:
      tls_certificates:
        - certificate_chain: { filename: ${pki.path("svc.crt")} }
          private_key: { filename: ${pki.path("svc.key")} }
      validation_context: { trusted_ca: { filename: ${pki.path("ca.crt")} } }`;

const tcpChain = (cluster: string, extra: string) =>
  `- ${indent(extra, 2).trimStart()}
  filters:
    - name: envoy.filters.network.tcp_proxy
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
        stat_prefix: ${cluster}
        cluster: ${cluster}`;

async function start(a: number, b: number): Promise<Proxy> {
  const yaml = `
static_resources:
  listeners:
    - name: sni
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      listener_filters:
        - name: envoy.filters.listener.tls_inspector
          typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector }
      filter_chains:
${indent(tcpChain("a", `filter_chain_match: { server_names: [svc.test] }\n${tlsSocket()}`), 8)}
${
    indent(
      tcpChain(
        "b",
        `filter_chain_match: { server_names: [localhost] }\n${tlsSocket("require_client_certificate: true")}`,
      ),
      8,
    )
  }
  clusters:
${indent(staticCluster("a", [a]) + staticCluster("b", [b]), 4)}
`;
  return await createProxy({
    runtime: createDenoRuntime({ log: () => {} }),
    bootstrap: loadBootstrap(yaml, "tcp-tls.yaml", createConfigRegistry()),
  });
}

/**
 * Sends "abc" over TLS with SNI `name` and returns the answer (or the error). Deno.startTls takes no
 * client certificate, so a certificate means Deno.connectTls, which dials (and sends as SNI) `localhost`.
 */
async function exchange(port: number, name: string, cert?: { cert: string; key: string }): Promise<string> {
  let conn: Deno.TlsConn | undefined;
  try {
    if (cert) {
      assert.equal(name, "localhost", "connectTls sends the name it dials");
      conn = await Deno.connectTls({ hostname: "localhost", port, caCerts: [pki.ca], ...cert });
    } else {
      const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
      conn = await Deno.startTls(tcp, { hostname: name, caCerts: [pki.ca] });
    }
    await conn.write(new TextEncoder().encode("abc"));
    const buf = new Uint8Array(256);
    const n = await conn.read(buf);
    return n === null ? "(closed)" : new TextDecoder().decode(buf.subarray(0, n));
  } catch (err) {
    return `(error: ${(err as Error).name})`;
  } finally {
    try {
      conn?.close();
    } catch { /* closed */ }
  }
}

Deno.test({
  name:
    "tcp_proxy with TLS: SNI picks the chain; require_client_certificate verifies the client's certificate",
  ...opts,
  fn: async () => {
    const a = echo("a");
    const b = echo("b");
    const proxy = await start(a.addr.port, b.addr.port);
    const port = proxy.listeners[0].port;
    const reachedB = () => proxy.stats.counter("tcp.b.downstream_cx_total").value;
    try {
      assert.equal(await exchange(port, "svc.test"), "a:cba", "TLS terminated, SNI svc.test → cluster a");
      assert.equal(
        await exchange(port, "localhost", pki.client),
        "b:cba",
        "mTLS chain with a client certificate",
      );
      assert.equal(reachedB(), 1, "one connection to cluster b");
      assert.match(await exchange(port, "localhost"), /^\(/, "no client certificate: refused");
      assert.match(
        await exchange(port, "localhost", pki.rogue),
        /^\(/,
        "a foreign CA's certificate: refused",
      );
      assert.equal(reachedB(), 1, "refused clients never reach cluster b");
    } finally {
      await proxy.drain(50);
      a.close();
      b.close();
    }
  },
});
