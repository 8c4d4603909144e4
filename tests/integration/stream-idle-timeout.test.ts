// stream_idle_timeout on the Node codecs: a response that stalls is cut, one that keeps flowing is not (HTTP/1.1 and h2c).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request as h1Request } from "node:http";
import { connect as h2Connect } from "node:http2";
import {
  httpBootstrap,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from "../support/harness.ts";

const IDLE_MS = 300;

let upstream: Upstream;
let proxy: TestProxy;

beforeAll(async () => {
  upstream = await startUpstream("idle", (req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    if (req.url === "/stall") {
      res.write("first part, then nothing");
      return; // never ends: closed with the server
    }
    if (req.url === "/trickle") {
      // 8 chunks 100 ms apart: 800 ms in all, never idle for 300 ms.
      let sent = 0;
      const timer = setInterval(() => {
        res.write(`chunk ${sent}\n`);
        if (++sent === 8) {
          clearInterval(timer);
          res.end();
        }
      }, 100);
      return;
    }
    res.end("ok");
  });
  proxy = await startProxy(httpBootstrap({
    hcmExtra: `codec_type: AUTO\nstream_idle_timeout: ${IDLE_MS / 1000}s`,
    routes: `
name: local
virtual_hosts:
  - name: all
    domains: ["*"]
    routes:
      - match: { prefix: "/" }
        route: { cluster: idle, timeout: 0s }`,
    clusters: staticCluster("idle", [upstream.port]),
  }));
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

interface Outcome {
  body: string;
  /** The response ended normally (false: cut). */
  complete: boolean;
  elapsedMs: number;
  /** HTTP/2 only: the stream's reset code (0 = ended normally). */
  rstCode?: number;
}

function getH1(path: string): Promise<Outcome> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = h1Request({ host: "127.0.0.1", port: proxy.port(), path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => body += c);
      res.on("close", () => resolve({ body, complete: res.complete, elapsedMs: performance.now() - start }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function getH2(path: string): Promise<Outcome & { followUp: string }> {
  const session = h2Connect(`http://127.0.0.1:${proxy.port()}`);
  try {
    const start = performance.now();
    const outcome = await new Promise<Outcome>((resolve) => {
      const stream = session.request({ ":path": path });
      let body = "";
      stream.setEncoding("utf8");
      stream.on("data", (c: string) => body += c);
      stream.on("error", () => {});
      stream.on("close", () =>
        resolve({
          body,
          complete: stream.rstCode === 0,
          rstCode: stream.rstCode,
          elapsedMs: performance.now() - start,
        }));
    });
    // The connection outlives a timed-out stream.
    const followUp = await new Promise<string>((resolve, reject) => {
      const stream = session.request({ ":path": "/ok" });
      let body = "";
      stream.setEncoding("utf8");
      stream.on("data", (c: string) => body += c);
      stream.on("end", () => resolve(body));
      stream.on("error", reject);
    });
    return { ...outcome, followUp };
  } finally {
    session.close();
  }
}

describe("stream_idle_timeout", () => {
  it("HTTP/1.1: cuts a response that stalls for the timeout", async () => {
    const out = await getH1("/stall");
    expect(out.body).toBe("first part, then nothing");
    expect(out.complete).toBe(false);
    expect(out.elapsedMs).toBeGreaterThanOrEqual(IDLE_MS - 20);
    expect(out.elapsedMs).toBeLessThan(IDLE_MS + 1500);
  });

  it("HTTP/1.1: leaves a response alone while bytes keep flowing", async () => {
    const out = await getH1("/trickle");
    expect(out.complete).toBe(true);
    expect(out.body.split("\n").filter(Boolean)).toHaveLength(8);
  });

  it("HTTP/2: resets a stalled stream (CANCEL) and keeps the connection", async () => {
    const out = await getH2("/stall");
    expect(out.body).toBe("first part, then nothing");
    expect(out.rstCode).toBe(8); // NGHTTP2_CANCEL
    expect(out.elapsedMs).toBeGreaterThanOrEqual(IDLE_MS - 20);
    expect(out.elapsedMs).toBeLessThan(IDLE_MS + 1500);
    expect(out.followUp).toBe("ok");
  });

  it("HTTP/2: leaves a stream alone while bytes keep flowing", async () => {
    const out = await getH2("/trickle");
    expect(out.complete).toBe(true);
    expect(out.body.split("\n").filter(Boolean)).toHaveLength(8);
    expect(out.followUp).toBe("ok");
  });
});
