// The Node HTTP/2 downstream codec with an HTTP/1.1 upstream: bodies whole or streamed, trailers only when sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { connect, type IncomingHttpHeaders } from "node:http2";
import {
  httpBootstrap,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from "../../support/harness.ts";

const BIG = randomBytes(3 * 1024 * 1024);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let upstream: Upstream;
let proxy: TestProxy;

beforeAll(async () => {
  upstream = await startUpstream("h1", (req, res) => {
    if (req.url === "/trailers") {
      res.writeHead(200, { "content-type": "text/plain", trailer: "x-checksum" });
      res.write("part one, ");
      setTimeout(() => {
        res.addTrailers({ "x-checksum": "abc123" });
        res.end("part two");
      }, 20);
    } else if (req.url === "/big") {
      res.writeHead(200, { "content-length": BIG.length });
      res.end(BIG);
    } else {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("small");
    }
  });
  proxy = await startProxy(httpBootstrap({
    hcmExtra: "codec_type: AUTO",
    routes: `
name: local
virtual_hosts:
  - name: all
    domains: ["*"]
    routes:
      - match: { prefix: "/" }
        route: { cluster: h1 }`,
    clusters: staticCluster("h1", [upstream.port]),
  }));
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

interface H2Answer {
  headers: IncomingHttpHeaders;
  body: Buffer;
  trailers: IncomingHttpHeaders | undefined;
}

function h2Get(path: string, slow = false): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${proxy.port()}`);
    session.on("error", reject);
    const stream = session.request({ ":path": path });
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    stream.on("response", (h) => headers = h);
    stream.on("trailers", (t) => trailers = t);
    stream.on("data", (c: Buffer) => {
      chunks.push(c);
      if (slow) {
        stream.pause();
        setTimeout(() => stream.resume(), 1);
      }
    });
    stream.on("end", () => {
      session.close();
      resolve({ headers, body: Buffer.concat(chunks), trailers });
    });
    stream.on("error", reject);
    stream.end();
  });
}

describe("HTTP/2 downstream from an HTTP/1.1 upstream", () => {
  it("sends a complete small body, with no trailers", async () => {
    const res = await h2Get("/small");
    expect(res.headers[":status"]).toBe(200);
    expect(String(res.body)).toBe("small");
    expect(res.trailers).toBeUndefined();
  });

  it("forwards chunked HTTP/1.1 trailers as HTTP/2 trailers after a streamed body", async () => {
    const res = await h2Get("/trailers");
    expect(String(res.body)).toBe("part one, part two");
    expect(res.trailers?.["x-checksum"]).toBe("abc123");
  });

  it("streams a 3 MB body to a slow HTTP/2 reader intact (flow control, upstream paused)", async () => {
    const res = await h2Get("/big", true);
    expect(res.body.length).toBe(BIG.length);
    expect(sha(res.body)).toBe(sha(BIG));
  });
});
