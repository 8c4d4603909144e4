// Integration: TLS with certificates made by the real openssl CLI — downstream TLS + ALPN, SNI chains, mTLS, upstream TLS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  curl,
  indent,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from "../support/harness.ts";
import { curlRaw } from "../support/raw-clients.ts";

const opensslAvailable = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!opensslAvailable) {
  console.warn("skipping the TLS tests: the openssl CLI is not installed (apt-get install openssl)");
}

let dir = "";
const pem = (name: string) => join(dir, name);

function openssl(...args: string[]) {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA, leaf certificates signed by it (server: localhost + 127.0.0.1, a/b.example.com, a client), and a foreign CA. */
function makeCertificates() {
  dir = mkdtempSync(join(tmpdir(), "weft-tls-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  for (const ca of ["ca", "other-ca"]) {
    openssl(
      "req",
      "-x509",
      ...ec,
      "-keyout",
      `${ca}.key`,
      "-out",
      `${ca}.crt`,
      "-days",
      "2",
      "-subj",
      `/CN=Weft Test ${ca}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
  }
  const leaf = (name: string, cn: string, ext: string) => {
    openssl("req", "-new", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    writeFileSync(pem(`${name}.ext`), ext);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
  };
  leaf("server", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  leaf("a", "a.example.com", "subjectAltName=DNS:a.example.com\nextendedKeyUsage=serverAuth\n");
  leaf("b", "b.example.com", "subjectAltName=DNS:b.example.com\nextendedKeyUsage=serverAuth\n");
  leaf(
    "client",
    "weft-client",
    "subjectAltName=URI:spiffe://weft.test/ns/default/sa/client\nextendedKeyUsage=clientAuth\n",
  );
}

function tlsSocket(cert: string, extra = "") {
  return `transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
${indent(extra, 4)}
    common_tls_context:
      alpn_protocols: [h2, http/1.1]
      tls_certificates:
        - certificate_chain: { filename: ${pem(`${cert}.crt`)} }
          private_key: { filename: ${pem(`${cert}.key`)} }
      validation_context: { trusted_ca: { filename: ${pem("ca.crt")} } }`;
}

/** An HCM filter chain; `routes` is a YAML flow list of routes (default: everything to `cluster`). */
function hcmChain(
  cluster: string,
  extra = "",
  routes = `[{ match: { prefix: "/" }, route: { cluster: ${cluster} } }]`,
): string {
  return `- ${extra ? indent(extra, 2).trimStart() + "\n  " : ""}filters:
    - name: envoy.filters.network.http_connection_manager
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        stat_prefix: ${cluster}
        route_config:
          virtual_hosts:
            - name: all
              domains: ["*"]
              routes: ${routes}
        http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`;
}

function listener(name: string, chains: string, listenerFilters = ""): string {
  return `- name: ${name}
  address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
${listenerFilters ? indent(listenerFilters, 2) : ""}
  filter_chains:
${indent(chains, 4)}`;
}

function upstreamTls(ca: string): string {
  return `transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
    sni: localhost
    common_tls_context:
      validation_context: { trusted_ca: { filename: ${pem(ca)} } }`;
}

const L = { tls: 0, sni: 1, mtls: 2, plain: 3 } as const;
let web: Upstream;
let siteA: Upstream;
let siteB: Upstream;
let https: HttpsServer;
const httpsSeen: { url: string; servername: string | false; alpn: string | false | null }[] = [];
let proxy: TestProxy;

beforeAll(async () => {
  if (!opensslAvailable) return;
  makeCertificates();
  web = await startUpstream("web");
  siteA = await startUpstream("site-a");
  siteB = await startUpstream("site-b");
  https = createHttpsServer(
    { cert: readFileSync(pem("server.crt")), key: readFileSync(pem("server.key")) },
    (req, res) => {
      const socket = req.socket as import("node:tls").TLSSocket;
      httpsSeen.push({
        url: req.url ?? "",
        servername: (socket as unknown as { servername: string | false }).servername,
        alpn: socket.alpnProtocol,
      });
      res.writeHead(200, { "x-upstream": "https" });
      res.end(`secure ${req.url}`);
    },
  );
  await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
  const httpsPort = (https.address() as AddressInfo).port;
  const sniChains = [
    hcmChain("site_a", `filter_chain_match: { server_names: [a.example.com] }\n${tlsSocket("a")}`),
    hcmChain("site_b", `filter_chain_match: { server_names: [b.example.com] }\n${tlsSocket("b")}`),
  ].join("\n");
  const tlsInspector = `listener_filters:
  - name: envoy.filters.listener.tls_inspector
    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector }`;
  proxy = await startProxy(`
static_resources:
  listeners:
${
    indent(
      [
        listener("tls", hcmChain("web", tlsSocket("server"))),
        listener("sni", sniChains, tlsInspector),
        listener("mtls", hcmChain("web", tlsSocket("server", "require_client_certificate: true"))),
        listener(
          "plain",
          hcmChain(
            "secure",
            "",
            `[{ match: { prefix: "/wrong-ca" }, route: { cluster: secure_wrong_ca } }, { match: { prefix: "/" }, route: { cluster: secure } }]`,
          ),
        ),
      ].join("\n"),
      4,
    )
  }
  clusters:
${
    indent(
      [
        staticCluster("web", [web.port]),
        staticCluster("site_a", [siteA.port]),
        staticCluster("site_b", [siteB.port]),
        staticCluster("secure", [httpsPort], upstreamTls("ca.crt")),
        staticCluster("secure_wrong_ca", [httpsPort], upstreamTls("other-ca.crt")),
      ].join(""),
      4,
    )
  }`);
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all([web, siteA, siteB].map((u) => u?.close()));
  https?.closeAllConnections();
  await new Promise<void>((resolve) => https ? https.close(() => resolve()) : resolve());
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function sClient(port: number, serverName: string, alpn: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "openssl",
      [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-servername",
        serverName,
        "-alpn",
        alpn,
        "-CAfile",
        pem("ca.crt"),
      ],
      { timeout: 10_000 },
      (err, stdout) => (err && !stdout ? reject(err) : resolve(stdout)),
    );
    child.stdin?.end("Q\n");
  });
}

describe.skipIf(!opensslAvailable)("TLS through the proxy (certificates from the openssl CLI)", () => {
  it("downstream TLS with HTTP/1.1 (curl --cacert, certificate for localhost)", async () => {
    const res = await curl([
      "--cacert",
      pem("ca.crt"),
      "--http1.1",
      `https://localhost:${proxy.port(L.tls)}/one`,
    ]);
    expect(res.status).toBe(200);
    expect(res.httpVersion).toBe("HTTP/1.1");
    expect(res.body).toBe("web");
    expect(web.seen.at(-1)?.headers["x-forwarded-proto"]).toBe("https");
  });

  it("downstream TLS with ALPN h2 (curl --http2 → HTTP/2), also by IP (SAN IP:127.0.0.1)", async () => {
    const res = await curl([
      "--cacert",
      pem("ca.crt"),
      "--http2",
      `https://127.0.0.1:${proxy.port(L.tls)}/two`,
    ]);
    expect(res.status).toBe(200);
    expect(res.httpVersion).toBe("HTTP/2");
    expect(res.body).toBe("web");
    expect(web.seen.at(-1)?.url).toBe("/two");
  });

  it("openssl s_client sees the negotiated ALPN and a verified chain", async () => {
    const h2 = await sClient(proxy.port(L.tls), "localhost", "h2");
    expect(h2).toMatch(/ALPN protocol: h2\b/);
    expect(h2).toMatch(/Verify return code: 0 \(ok\)/);
    const h1 = await sClient(proxy.port(L.tls), "localhost", "http/1.1");
    expect(h1).toMatch(/ALPN protocol: http\/1\.1/);
  });

  it("SNI picks the filter chain (certificate and cluster) with tls_inspector", async () => {
    const port = proxy.port(L.sni);
    const a = await curl([
      "--cacert",
      pem("ca.crt"),
      "--resolve",
      `a.example.com:${port}:127.0.0.1`,
      `https://a.example.com:${port}/`,
    ]);
    const b = await curl([
      "--cacert",
      pem("ca.crt"),
      "--resolve",
      `b.example.com:${port}:127.0.0.1`,
      `https://b.example.com:${port}/`,
    ]);
    expect(a.status).toBe(200);
    expect(a.body).toBe("site-a");
    expect(b.status).toBe(200);
    expect(b.body).toBe("site-b");
    const sb = await sClient(port, "b.example.com", "h2");
    expect(sb).toMatch(/subject=CN\s?=\s?b\.example\.com/);
    expect(sb).toMatch(/ALPN protocol: h2\b/);
  });

  it("SNI with no matching chain: the connection is closed and counted", async () => {
    const port = proxy.port(L.sni);
    const noMatch = proxy.proxy.stats.counter("listener.sni.no_filter_chain_match");
    const before = noMatch.value;
    const res = await curlRaw([
      "-s",
      "--cacert",
      pem("ca.crt"),
      "--resolve",
      `c.example.com:${port}:127.0.0.1`,
      `https://c.example.com:${port}/`,
    ]);
    expect(res.exitCode).not.toBe(0);
    expect(noMatch.value - before).toBe(1);
  });

  it("mTLS: without a client certificate the handshake fails", async () => {
    const before = web.seen.length;
    const res = await curlRaw([
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "--cacert",
      pem("ca.crt"),
      `https://localhost:${proxy.port(L.mtls)}/`,
    ]);
    expect(res.exitCode).not.toBe(0);
    expect(res.stdout).toBe("000");
    expect(web.seen.length).toBe(before);
  });

  it("mTLS: with a client certificate signed by the trusted CA it works", async () => {
    const res = await curl([
      "--cacert",
      pem("ca.crt"),
      "--cert",
      pem("client.crt"),
      "--key",
      pem("client.key"),
      `https://localhost:${proxy.port(L.mtls)}/mtls`,
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toBe("web");
  });

  it("mTLS: a client certificate from another CA is rejected", async () => {
    // Self-sign a client certificate with the foreign CA's key pair.
    const res = await curlRaw([
      "-s",
      "--cacert",
      pem("ca.crt"),
      "--cert",
      pem("other-ca.crt"),
      "--key",
      pem("other-ca.key"),
      `https://localhost:${proxy.port(L.mtls)}/`,
    ]);
    expect(res.exitCode).not.toBe(0);
  });

  it("upstream TLS: UpstreamTlsContext with trusted_ca to a node:https upstream (SNI localhost)", async () => {
    const res = await curl([`http://127.0.0.1:${proxy.port(L.plain)}/over-tls`]);
    expect(res.status).toBe(200);
    expect(res.body).toBe("secure /over-tls");
    expect(httpsSeen.at(-1)).toEqual({ url: "/over-tls", servername: "localhost", alpn: "http/1.1" });
  });

  it("upstream TLS: a server certificate not signed by trusted_ca is refused (503, no request upstream)", async () => {
    const before = httpsSeen.length;
    const res = await curl([`http://127.0.0.1:${proxy.port(L.plain)}/wrong-ca`]);
    expect(res.status).toBe(503);
    expect(httpsSeen.length).toBe(before);
  });
});
