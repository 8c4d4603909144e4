// The Node HTTP/1.1 upstream pool (undici dispatch + PushedBody) against a real node:http upstream on loopback.
import { createHash, randomBytes } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttp1Pool } from "../../../adapters/node/upstream-http1.ts";
import { PushedBody } from "../../../adapters/node/upstream-body.ts";
import { writeResponse } from "../../../adapters/node/http1-exchange.ts";
import { AttemptCancel } from "../../../proxy/http/attempt-cancel.ts";
import { WeftError } from "../../../proxy/errors.ts";
import type { UpstreamPool, UpstreamRequest } from "../../../proxy/http/types.ts";

const BIG = randomBytes(4 * 1024 * 1024);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let upstream: Server;
let port: number;
/** Upstream responses whose socket closed before they finished. */
let abortedResponses = 0;
let pool: UpstreamPool;

function route(req: IncomingMessage, res: ServerResponse) {
  res.on("close", () => !res.writableFinished && abortedResponses++);
  switch (req.url) {
    case "/small":
      return res.end("hello");
    case "/big":
      res.writeHead(200, { "content-length": BIG.length });
      return res.end(BIG);
    case "/trailers":
      res.writeHead(200, { "content-type": "application/grpc", trailer: "grpc-status" });
      res.write("chunk");
      res.addTrailers({ "grpc-status": "0", "grpc-message": "fine" });
      return res.end();
    case "/never":
      return; // no answer
    case "/endless":
      res.writeHead(200);
      return void res.write(Buffer.alloc(1024));
    default:
      res.writeHead(404);
      res.end();
  }
}

beforeAll(async () => {
  upstream = createServer(route);
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  port = (upstream.address() as AddressInfo).port;
  pool = createHttp1Pool({
    host: "127.0.0.1",
    port,
    protocol: "http1",
    connectTimeoutMs: 1000,
    maxConnections: 8,
    idleTimeoutMs: 5000,
  });
});

afterAll(async () => {
  await pool.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

const get = (path: string, cancel?: AttemptCancel): UpstreamRequest => ({
  method: "GET",
  scheme: "http",
  authority: `127.0.0.1:${port}`,
  path,
  headers: { host: `127.0.0.1:${port}` },
  body: null,
  cancel,
});

async function readAll(body: AsyncIterable<Uint8Array>, delayEvery = 0): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of body) {
    chunks.push(c);
    if (delayEvery && ++n % delayEvery === 0) await new Promise((r) => setTimeout(r, 1));
  }
  return Buffer.concat(chunks);
}

describe("createHttp1Pool", () => {
  it("answers with the head first; a small body is complete by then and taken whole", async () => {
    const res = await pool.request(get("/small"));
    expect(res.status).toBe(200);
    expect(res.headers["content-length"]).toBe("5");
    expect(res.body).toBeInstanceOf(PushedBody);
    await new Promise((r) => setTimeout(r, 20));
    expect(String((res.body as PushedBody).takeComplete())).toBe("hello");
  });

  it("streams a 4 MB body to a slow reader intact (the upstream is paused, not buffered)", async () => {
    const res = await pool.request(get("/big"));
    const body = await readAll(res.body!, 8);
    expect(body.length).toBe(BIG.length);
    expect(sha(body)).toBe(sha(BIG));
  });

  it("passes chunked trailers (gRPC status) once the body is read", async () => {
    const res = await pool.request(get("/trailers"));
    expect(String(await readAll(res.body!))).toBe("chunk");
    expect(res.trailers?.()).toEqual({ "grpc-status": "0", "grpc-message": "fine" });
  });

  it("rejects with the cancellation's reason when cancelled before the head, and resets the upstream", async () => {
    const cancel = new AttemptCancel();
    const before = abortedResponses;
    const pending = pool.request(get("/never", cancel));
    await new Promise((r) => setTimeout(r, 50));
    const reason = new WeftError("upstream_per_try_timeout", "no response within 50 ms");
    cancel.cancel(reason);
    await expect(pending).rejects.toBe(reason);
    await expect.poll(() => abortedResponses).toBe(before + 1);
  });

  it("rejects at once when already cancelled (the downstream is gone)", async () => {
    const cancel = new AttemptCancel();
    const reason = new WeftError("downstream_reset", "downstream disconnected");
    cancel.cancel(reason);
    await expect(pool.request(get("/small", cancel))).rejects.toBe(reason);
  });

  it("destroying an unfinished body resets the upstream exchange", async () => {
    const before = abortedResponses;
    const res = await pool.request(get("/endless"));
    (res.body as PushedBody).destroy();
    await expect.poll(() => abortedResponses).toBe(before + 1);
  });

  it("maps connection errors to upstream_connect_failure", async () => {
    const closed = createHttp1Pool({
      host: "127.0.0.1",
      port: 1,
      protocol: "http1",
      connectTimeoutMs: 1000,
      maxConnections: 1,
      idleTimeoutMs: 1000,
    });
    await expect(closed.request(get("/small"))).rejects.toMatchObject({ code: "upstream_connect_failure" });
    await closed.close();
  });
});

describe("writeResponse with a PushedBody", () => {
  it("streams a large upstream body to a downstream client with back-pressure, byte for byte", async () => {
    const server = createServer(async (_req, res) => {
      const up = await pool.request(get("/big"));
      writeResponse(res, {
        status: up.status,
        headers: { "content-length": String(BIG.length) },
        body: up.body,
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port: p } = server.address() as AddressInfo;
    const received = await new Promise<Buffer>((resolve, reject) => {
      httpRequest({ host: "127.0.0.1", port: p, path: "/" }, (res) => {
        // A slow reader: the proxy must wait for drain (and pause its upstream) rather than buffer.
        res.pause();
        const chunks: Buffer[] = [];
        const tick = setInterval(() => {
          let c;
          while ((c = res.read(64 * 1024)) !== null) chunks.push(c);
        }, 2);
        res.on("end", () => {
          clearInterval(tick);
          resolve(Buffer.concat(chunks));
        });
        res.on("error", reject);
      }).on("error", reject).end();
    });
    server.close();
    expect(sha(received)).toBe(sha(BIG));
  });
});

describe("PushedBody", () => {
  it("keeps what arrives before a consumer, pauses the producer past 64 KB, resumes once drained", async () => {
    let resumed = 0;
    const body = new PushedBody(() => resumed++, () => {});
    expect(body.push(Buffer.alloc(40 * 1024))).toBe(true);
    expect(body.push(Buffer.alloc(40 * 1024))).toBe(false); // over the high-water mark
    const seen: number[] = [];
    body.attach({ data: (c) => (seen.push(c.length), true), end() {}, error() {} });
    expect(seen).toEqual([40 * 1024, 40 * 1024]);
    expect(resumed).toBe(1);
  });

  it("destroy aborts an open exchange but not a finished one", () => {
    const aborted: unknown[] = [];
    const open = new PushedBody(() => {}, (e) => aborted.push(e ?? "aborted"));
    open.destroy();
    const done = new PushedBody(() => {}, (e) => aborted.push(e ?? "aborted"));
    done.push(Buffer.from("x"));
    done.end();
    done.destroy();
    expect(aborted).toEqual(["aborted"]);
  });

  it("resume() without a consumer discards the rest (as a Readable does), so a retried answer is drained", () => {
    let resumed = 0;
    const body = new PushedBody(() => resumed++, () => {});
    body.push(Buffer.alloc(70 * 1024));
    body.resume();
    expect(resumed).toBe(1);
    expect(body.push(Buffer.alloc(1))).toBe(true);
    body.end();
    expect(body.complete).toBe(true);
    expect(body.takeComplete()).toBeUndefined(); // already consumed (discarded)
  });

  it("delivers an upstream error to the consumer", async () => {
    const body = new PushedBody(() => {}, () => {});
    body.push(Buffer.from("partial"));
    setTimeout(() => body.fail(new Error("socket hang up")), 5);
    await expect(readAll(body)).rejects.toThrow("socket hang up");
  });
});
