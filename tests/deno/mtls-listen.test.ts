// Deno mTLS HTTP listeners (adapters/deno/mtls-listen.ts): client certificates verified by node:tls, SPIFFE ID to the core.
import { createConfigRegistry, createProxy, loadBootstrap, type Proxy } from "../../mod.ts";
import type { DownstreamRequest } from "../../proxy/http/types.ts";
import { createDenoRuntime } from "../../adapters/deno/mod.ts";
import { assert } from "../conformance/case-api.ts";
import { httpBootstrap, indent, routeConfig, staticCluster } from "../conformance/bootstrap.ts";
import { CLIENT_SPIFFE_ID, makePki } from "./pki.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const pki = await makePki();

/** httpBootstrap whose listener terminates TLS and verifies client certificates against ca.crt. */
function mtlsBootstrap(upstreamPort: number, extra = "require_client_certificate: true", hcmExtra = "") {
  const yaml = httpBootstrap({
    routes: routeConfig(`- { match: { prefix: / }, route: { cluster: web } }`),
    clusters: staticCluster("web", [upstreamPort]),
    hcmExtra,
  });
  const tls = `transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
${indent(extra, 4)}
    common_tls_context:
      tls_certificates:
        - certificate_chain: { filename: ${pki.path("svc.crt")} }
          private_key: { filename: ${pki.path("svc.key")} }
      validation_context: { trusted_ca: { filename: ${pki.path("ca.crt")} } }`;
  return yaml.replace(
    "        - filters:\n",
    `        - ${indent(tls, 10).trimStart()}\n          filters:\n`,
  );
}

async function start(yaml: string): Promise<Proxy> {
  return await createProxy({
    runtime: createDenoRuntime({ log: () => {} }),
    bootstrap: loadBootstrap(yaml, "mtls.yaml", createConfigRegistry()),
  });
}

/** A plain upstream that records what it saw and answers with its name. */
function upstream() {
  const seen: { path: string; proto: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    seen.push({ path: new URL(req.url).pathname, proto: req.headers.get("x-forwarded-proto") });
    return new Response("web");
  });
  return { server, seen };
}

/** The real curl CLI; `client` picks the certificate it presents. */
async function curl(url: string, client: "valid" | "none" | "rogue", extra: string[] = []) {
  const certArgs = client === "valid"
    ? ["--cert", pki.path("client.crt"), "--key", pki.path("client.key")]
    : client === "rogue"
    ? ["--cert", pki.path("rogue.crt"), "--key", pki.path("rogue.key")]
    : [];
  const { code, stdout } = await new Deno.Command("curl", {
    args: [
      "-sS",
      "-m",
      "10",
      "--cacert",
      pki.path("ca.crt"),
      ...certArgs,
      ...extra,
      "-w",
      "\n%{http_code} %{http_version}",
      url,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines = new TextDecoder().decode(stdout).split("\n");
  const [status, version] = lines.pop()!.split(" ");
  return { code, status: Number(status), version, body: lines.join("\n") };
}

Deno.test({
  name:
    "mTLS listener: a client certificate from the CA is proxied (HTTP/1.1 and h2); none or a foreign one is refused",
  ...opts,
  fn: async () => {
    const web = upstream();
    const proxy = await start(mtlsBootstrap(web.server.addr.port));
    const url = `https://localhost:${proxy.listeners[0].port}`;
    try {
      const h1 = await curl(`${url}/one`, "valid", ["--http1.1"]);
      assert.deepEqual(
        [h1.code, h1.status, h1.version, h1.body],
        [0, 200, "1.1", "web"],
        "HTTP/1.1 with a cert",
      );
      const h2 = await curl(`${url}/two`, "valid", ["--http2"]);
      assert.deepEqual([h2.code, h2.status, h2.version, h2.body], [0, 200, "2", "web"], "h2 via ALPN");
      assert.deepEqual(
        web.seen,
        [{ path: "/one", proto: "https" }, { path: "/two", proto: "https" }],
        "upstream",
      );

      const client = Deno.createHttpClient({ caCerts: [pki.ca], cert: pki.client.cert, key: pki.client.key });
      const res = await fetch(`${url}/fetch`, { client } as RequestInit);
      assert.equal(`${res.status} ${await res.text()}`, "200 web", "Deno fetch presenting a client cert");
      client.close();

      const none = await curl(`${url}/none`, "none");
      assert.ok(none.code !== 0 && none.status === 0, `no client certificate: curl exit ${none.code}`);
      const rogue = await curl(`${url}/rogue`, "rogue");
      assert.ok(
        rogue.code !== 0 && rogue.status === 0,
        `certificate from another CA: curl exit ${rogue.code}`,
      );
      assert.equal(web.seen.length, 3, "refused clients never reach the upstream");
    } finally {
      await proxy.drain(50);
      await web.server.shutdown();
    }
  },
});

/** One HTTP/1.1 request over TLS; returns the status line and the client's local port. */
async function tlsRequest(port: number, cert?: { cert: string; key: string }) {
  const conn = await Deno.connectTls({
    hostname: "localhost",
    port,
    caCerts: [pki.ca],
    alpnProtocols: ["http/1.1"],
    ...(cert ?? {}),
  });
  await conn.write(
    new TextEncoder().encode("GET /who HTTP/1.1\r\nhost: svc.test\r\nconnection: close\r\n\r\n"),
  );
  let text = "";
  const buf = new Uint8Array(4096);
  try {
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } catch (err) {
    text += `(read failed: ${(err as Error).message})`;
  }
  const clientPort = conn.localAddr.port;
  try {
    conn.close();
  } catch { /* closed */ }
  return { statusLine: text.split("\r\n")[0], clientPort };
}

Deno.test({
  name: "mTLS listener: the core's handler gets the SPIFFE ID, ALPN and the client's own address",
  ...opts,
  fn: async () => {
    const runtime = createDenoRuntime({ log: () => {} });
    const seen: DownstreamRequest[] = [];
    const serve = {
      maxRequestHeadersKb: 60,
      maxHeadersCount: 100,
      idleTimeoutMs: 0,
      streamIdleTimeoutMs: 0,
      requestHeadersTimeoutMs: 0,
    };
    const handler = (req: DownstreamRequest) => {
      seen.push(req);
      return { status: 200, headers: {}, body: "ok" };
    };
    const tls = { certPem: pki.cert, keyPem: pki.key, caPem: pki.ca };
    const required = await runtime.http.listen!(
      { name: "required", host: "127.0.0.1", port: 0, tls: { ...tls, requireClientCert: true }, serve },
      handler,
    );
    // validation_context without require_client_certificate: a certificate is asked for, not required.
    const optional = await runtime.http.listen!(
      { name: "optional", host: "127.0.0.1", port: 0, tls, serve },
      handler,
    );
    try {
      const ok = await tlsRequest(required.port, pki.client);
      assert.equal(ok.statusLine, "HTTP/1.1 200 OK", "verified client");
      const req = seen.at(-1)!;
      assert.deepEqual(
        {
          scheme: req.scheme,
          tls: req.tls,
          remote: `${req.remoteAddress}:${req.remotePort}`,
          local: req.localPort,
        },
        {
          scheme: "https",
          tls: { serverName: "localhost", alpn: "http/1.1", peerIdentity: CLIENT_SPIFFE_ID },
          remote: `127.0.0.1:${ok.clientPort}`,
          local: required.port,
        },
        "what the core sees",
      );

      const anonymous = await tlsRequest(optional.port);
      assert.equal(anonymous.statusLine, "HTTP/1.1 200 OK", "optional: no certificate is served");
      assert.equal(seen.at(-1)!.tls?.peerIdentity, undefined, "optional: no identity");
      const rogue = await tlsRequest(optional.port, pki.rogue);
      assert.equal(
        rogue.statusLine,
        "HTTP/1.1 200 OK",
        "optional: a foreign certificate is served (as on Node)",
      );
      assert.equal(
        seen.at(-1)!.tls?.peerIdentity,
        undefined,
        "optional: an unverified certificate gives no identity",
      );
      const verified = await tlsRequest(optional.port, pki.client);
      assert.equal(
        seen.at(-1)!.tls?.peerIdentity,
        CLIENT_SPIFFE_ID,
        `optional: verified identity (${verified.statusLine})`,
      );
      assert.equal(seen.length, 4, "requests reaching the handler");
    } finally {
      await Promise.all([required.close(), optional.close()]);
    }
  },
});

Deno.test({
  name: "mTLS listener: common_http_protocol_options.idle_timeout closes an idle connection",
  ...opts,
  fn: async () => {
    const web = upstream();
    const proxy = await start(
      mtlsBootstrap(
        web.server.addr.port,
        "require_client_certificate: true",
        "common_http_protocol_options: { idle_timeout: 0.2s }",
      ),
    );
    try {
      const conn = await Deno.connectTls({
        hostname: "localhost",
        port: proxy.listeners[0].port,
        caCerts: [pki.ca],
        alpnProtocols: ["http/1.1"],
        ...pki.client,
      });
      await conn.write(new TextEncoder().encode("GET /idle HTTP/1.1\r\nhost: svc.test\r\n\r\n"));
      const buf = new Uint8Array(4096);
      let text = "";
      let closedByProxy = false;
      // A client that never closes: if the proxy does not either, give up after 5 s (and fail).
      const deadline = setTimeout(() => conn.close(), 5000);
      try {
        // Keep-alive: the response arrives, then nothing until the proxy closes the idle connection.
        for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
          text += new TextDecoder().decode(buf.subarray(0, n));
        }
        closedByProxy = true;
      } catch { /* closed by the deadline */ }
      clearTimeout(deadline);
      if (closedByProxy) conn.close();
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n(3\r\n)?web/, "the response");
      assert.ok(closedByProxy, "the idle connection was closed by the proxy");
    } finally {
      await proxy.drain(50);
      await web.server.shutdown();
    }
  },
});
