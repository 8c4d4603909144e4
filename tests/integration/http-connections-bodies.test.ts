// Real-socket HTTP/1.1 connection reuse and request bodies through the proxy with curl: keep-alive, chunked, 1 MB, 100-continue.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpBootstrap, startProxy, staticCluster, type TestProxy } from "../support/harness.ts";
import { curlBytes, curlRaw } from "../support/raw-clients.ts";

interface EchoUpstream {
  readonly server: Server;
  readonly port: number;
  /** Sockets accepted so far. */
  connections: number;
  /** Head of each request seen: method, url, headers. */
  readonly requests: { method: string; url: string; headers: IncomingMessage["headers"]; bytes: number }[];
}

/** Echoes the request body back byte for byte (binary-safe), with its sha256 in a header. */
async function startEcho(): Promise<EchoUpstream> {
  const echo: EchoUpstream = {
    server: undefined as unknown as Server,
    port: 0,
    connections: 0,
    requests: [],
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      echo.requests.push({ method: req.method!, url: req.url!, headers: req.headers, bytes: body.length });
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": body.length,
        "x-body-sha256": createHash("sha256").update(body).digest("hex"),
      });
      res.end(body);
    });
  });
  server.on("connection", () => echo.connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(echo, { server, port: (server.address() as AddressInfo).port });
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let echo: EchoUpstream;
let proxy: TestProxy;
let dir: string;

beforeAll(async () => {
  echo = await startEcho();
  dir = mkdtempSync(join(tmpdir(), "weft-bodies-"));
  proxy = await startProxy(httpBootstrap({
    routes:
      `name: r\nvirtual_hosts: [{ name: a, domains: ["*"], routes: [{ match: { prefix: / }, route: { cluster: echo } }] }]`,
    clusters: staticCluster("echo", [echo.port]),
  }));
});

afterAll(async () => {
  await proxy?.close();
  echo?.server.closeAllConnections();
  await new Promise<void>((resolve) => echo ? echo.server.close(() => resolve()) : resolve());
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const url = (path: string) => `http://127.0.0.1:${proxy.port()}${path}`;
const counter = (name: string) => proxy.proxy.stats.counter(name).value;

describe("keep-alive", () => {
  it("several URLs on one curl command share one downstream connection and one upstream connection", async () => {
    const cxBefore = counter("listener.test.downstream_cx_total");
    const upstreamBefore = echo.connections;
    const seenBefore = echo.requests.length;
    const res = await curlRaw([
      "-v",
      "-s",
      "-o",
      "/dev/null",
      url("/ka/1"),
      "-o",
      "/dev/null",
      url("/ka/2"),
      "-o",
      "/dev/null",
      url("/ka/3"),
    ]);
    expect(res.exitCode).toBe(0);
    expect(res.stderr.match(/^< HTTP\/1\.1 200/gm)).toHaveLength(3);
    expect(res.stderr.match(/Re-using existing connection/g)).toHaveLength(2);
    expect(res.stderr).not.toMatch(/Closing connection|Connection died/);
    expect(counter("listener.test.downstream_cx_total") - cxBefore).toBe(1);
    expect(echo.requests.slice(seenBefore).map((r) => r.url)).toEqual(["/ka/1", "/ka/2", "/ka/3"]);
    // The proxy's upstream pool kept its connection alive between the three requests too.
    expect(echo.connections - upstreamBefore).toBeLessThanOrEqual(1);
  });
});

describe("request bodies", () => {
  it("streams a chunked request body to the upstream intact", async () => {
    const body = "first line\n" + "x".repeat(70_000) + "\nlast line";
    const res = await curlRaw(
      ["-s", "-i", "-H", "Transfer-Encoding: chunked", "--data-binary", "@-", url("/chunked")],
      body,
    );
    expect(res.stdout).toMatch(/^HTTP\/1\.1 200 /);
    const seen = echo.requests.at(-1)!;
    expect(seen.url).toBe("/chunked");
    expect(seen.method).toBe("POST");
    expect(seen.bytes).toBe(body.length);
    expect(res.stdout.toLowerCase()).toContain(`x-body-sha256: ${sha256(Buffer.from(body))}`);
    expect(res.stdout.endsWith(body)).toBe(true);
  });

  it("echoes a 1 MB binary POST back byte for byte (sha256 on both sides)", async () => {
    const payload = randomBytes(1024 * 1024 - 1);
    const file = join(dir, "one-mb.bin");
    writeFileSync(file, payload);
    const out = await curlBytes([
      "-H",
      "content-type: application/octet-stream",
      "--data-binary",
      `@${file}`,
      url("/large"),
    ]);
    expect(out.length).toBe(payload.length);
    expect(sha256(out)).toBe(sha256(payload));
    expect(echo.requests.at(-1)!.bytes).toBe(payload.length);
  });

  it("Expect: 100-continue (curl sends it for bodies over 1 MB) gets 100 Continue and the body goes through", async () => {
    const payload = randomBytes(2 * 1024 * 1024 + 17);
    const file = join(dir, "two-mb.bin");
    writeFileSync(file, payload);
    const bodyFile = join(dir, "two-mb.out");
    const res = await curlRaw(["-v", "-s", "--data-binary", `@${file}`, "-o", bodyFile, url("/continue")]);
    expect(res.exitCode).toBe(0);
    expect(res.stderr).toMatch(/^> Expect: 100-continue\r?$/m);
    expect(res.stderr).toMatch(/^< HTTP\/1\.1 100 Continue\r?$/m);
    expect(res.stderr).toMatch(/^< HTTP\/1\.1 200 OK\r?$/m);
    // Without the 100, curl would give up waiting after 1 s and send the body anyway.
    expect(res.stderr).not.toMatch(/Done waiting for 100-continue/);
    const out = readFileSync(bodyFile);
    expect(sha256(out)).toBe(sha256(payload));
    expect(echo.requests.at(-1)!.bytes).toBe(payload.length);
    // The proxy answered the expectation itself; the upstream is not asked again.
    expect(echo.requests.at(-1)!.headers.expect).toBeUndefined();
  });
});
