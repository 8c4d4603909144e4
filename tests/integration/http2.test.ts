// Integration: HTTP/2 through the proxy — h2c prior knowledge (curl, node:http2, h2load) to HTTP/1.1 and HTTP/2 upstreams.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { connect, createServer, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import {
  curl,
  HTTP2_UPSTREAM,
  httpBootstrap,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from "../support/harness.ts";

const H2LOAD = "/usr/bin/h2load";

let h1: Upstream;
let h2: Http2Server;
let h2Port: number;
let proxy: TestProxy;
const h2Seen: { path: string }[] = [];
let h2Sessions = 0;

beforeAll(async () => {
  h1 = await startUpstream("h1");
  h2 = createServer();
  h2.on("session", () => h2Sessions++);
  h2.on("stream", (stream, headers) => {
    h2Seen.push({ path: String(headers[":path"]) });
    stream.respond({ ":status": 200, "content-type": "text/plain", "x-upstream": "h2" });
    stream.end(`h2 ${headers[":path"]}`);
  });
  await new Promise<void>((resolve) => h2.listen(0, "127.0.0.1", resolve));
  h2Port = (h2.address() as AddressInfo).port;
  proxy = await startProxy(httpBootstrap({
    hcmExtra: "codec_type: AUTO",
    routes: `
name: local
virtual_hosts:
  - name: all
    domains: ["*"]
    routes:
      - match: { prefix: "/h2/" }
        route: { cluster: h2 }
      - match: { prefix: "/" }
        route: { cluster: h1 }`,
    clusters: staticCluster("h1", [h1.port]) + staticCluster("h2", [h2Port], HTTP2_UPSTREAM),
  }));
});

afterAll(async () => {
  await proxy?.close();
  await h1?.close();
  await new Promise<void>((resolve) => h2 ? h2.close(() => resolve()) : resolve());
});

describe("HTTP/2 downstream (h2c prior knowledge) on an AUTO codec listener", () => {
  it("answers curl --http2-prior-knowledge with HTTP/2, proxied to an HTTP/1.1 upstream", async () => {
    const before = h1.seen.length;
    const res = await curl(["--http2-prior-knowledge", `http://127.0.0.1:${proxy.port()}/hello?x=1`]);
    expect(res.httpVersion).toBe("HTTP/2");
    expect(res.status).toBe(200);
    expect(res.body).toBe("h1");
    expect(res.headers["x-upstream"]).toBe("h1");
    expect(h1.seen.length).toBe(before + 1);
    expect(h1.seen[before].url).toBe("/hello?x=1");
    expect(h1.seen[before].headers.host).toBe(`127.0.0.1:${proxy.port()}`);
  });

  it("still serves HTTP/1.1 on the same AUTO listener", async () => {
    const res = await curl(["--http1.1", `http://127.0.0.1:${proxy.port()}/plain`]);
    expect(res.httpVersion).toBe("HTTP/1.1");
    expect(res.body).toBe("h1");
  });

  it("forwards h2c to an HTTP/2 upstream (explicit_http_config http2_protocol_options)", async () => {
    const before = h2Seen.length;
    const res = await curl(["--http2-prior-knowledge", `http://127.0.0.1:${proxy.port()}/h2/abc`]);
    expect(res.httpVersion).toBe("HTTP/2");
    expect(res.status).toBe(200);
    expect(res.headers["x-upstream"]).toBe("h2");
    expect(res.body).toBe("h2 /h2/abc");
    expect(h2Seen.length).toBe(before + 1);
  });

  it("forwards an HTTP/1.1 request to the HTTP/2 upstream too", async () => {
    const res = await curl(["--http1.1", `http://127.0.0.1:${proxy.port()}/h2/from-h1`]);
    expect(res.httpVersion).toBe("HTTP/1.1");
    expect(res.body).toBe("h2 /h2/from-h1");
  });

  it("multiplexes 50 concurrent streams on one downstream connection", async () => {
    const accepted = proxy.proxy.stats.counter("listener.test.downstream_cx_total");
    const acceptedBefore = accepted.value;
    const sessionsBefore = h2Sessions;
    const session = connect(`http://127.0.0.1:${proxy.port()}`);
    try {
      const one = (i: number, prefix: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = session.request({ ":path": `${prefix}stream-${i}` });
          let status = 0;
          let body = "";
          req.setEncoding("utf8");
          req.on("response", (h) => status = Number(h[":status"]));
          req.on("data", (c: string) => body += c);
          req.on("end", () => resolve({ status, body }));
          req.on("error", reject);
          req.end();
        });
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => one(i, i % 2 ? "/h2/" : "/")));
      results.forEach((r, i) => {
        expect(r.status).toBe(200);
        expect(r.body).toBe(i % 2 ? `h2 /h2/stream-${i}` : "h1");
      });
      // One downstream connection carried all 50 streams; the HTTP/2 upstream session (already open) was reused.
      expect(accepted.value - acceptedBefore).toBe(1);
      expect(h2Sessions - sessionsBefore).toBe(0);
      expect(h2Sessions).toBe(1);
    } finally {
      await new Promise<void>((resolve) => session.close(() => resolve()));
    }
  });

  it("forwards a request body sent over HTTP/2 to the HTTP/1.1 upstream", async () => {
    const session = connect(`http://127.0.0.1:${proxy.port()}`);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = session.request({ ":path": "/after", ":method": "POST", "content-type": "text/plain" });
        req.on("response", (h) => resolve(Number(h[":status"])));
        req.on("error", reject);
        req.end("payload");
        req.resume();
      });
      expect(status).toBe(200);
      expect(h1.seen.at(-1)?.body).toBe("payload");
    } finally {
      await new Promise<void>((resolve) => session.close(() => resolve()));
    }
  });
});

describe("h2load through the proxy", () => {
  const available = existsSync(H2LOAD);
  if (!available) {
    console.warn(`skipping h2load: ${H2LOAD} is not installed (apt-get install nghttp2-client)`);
  }

  it.skipIf(!available)(
    "completes 2000 requests over 4 connections × 10 streams without errors",
    async () => {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(H2LOAD, ["-n", "2000", "-c", "4", "-m", "10", `http://127.0.0.1:${proxy.port()}/`], {
          timeout: 15_000,
        }, (err, stdout) => {
          if (err && !stdout) reject(err);
          else resolve(stdout);
        });
      });
      const m =
        /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(
          out,
        );
      expect(m, out).not.toBeNull();
      const [, total, , done, succeeded, failed, errored] = m!.map(Number);
      expect(total).toBe(2000);
      expect(done).toBe(2000);
      expect(succeeded).toBe(2000);
      expect(failed).toBe(0);
      expect(errored).toBe(0);
      expect(out).toMatch(/status codes: 2000 2xx/);
    },
  );
});
