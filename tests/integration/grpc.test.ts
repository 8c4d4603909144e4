// Integration: gRPC through the proxy — a real grpc-js server upstream (h2c) and a real grpc-js client downstream.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import {
  closedPort,
  HTTP2_UPSTREAM,
  httpBootstrap,
  startProxy,
  staticCluster,
  type TestProxy,
} from "../support/harness.ts";

interface EchoRequest {
  message: string;
  count?: number;
}
interface EchoResponse {
  message: string;
  index: number;
}
type EchoClient = grpc.Client & {
  Echo(
    req: EchoRequest,
    md: grpc.Metadata,
    opts: grpc.CallOptions,
    cb: grpc.requestCallback<EchoResponse>,
  ): grpc.ClientUnaryCall;
  ServerStream(req: EchoRequest): grpc.ClientReadableStream<EchoResponse>;
  Bidi(): grpc.ClientDuplexStream<EchoRequest, EchoResponse>;
};

const protoPath = fileURLToPath(new URL("../fixtures/echo.proto", import.meta.url));
const definition = grpc.loadPackageDefinition(loadSync(protoPath, { keepCase: true, defaults: true }));
// deno-lint-ignore no-explicit-any
const EchoService = (definition.weft as any).test.Echo as grpc.ServiceClientConstructor;

let server: grpc.Server;
let proxy: TestProxy;
let client: EchoClient;
const attempts = new Map<string, number>();
/** Calls to "hang" that the server received; each resolves `cancelled` when the server sees the call cancelled. */
const hanging: { id: string; cancelled: Promise<void> }[] = [];
let onHangingCall: (() => void) | undefined;

function startEchoServer(): Promise<number> {
  server = new grpc.Server();
  server.addService(EchoService.service, {
    Echo(call: grpc.ServerUnaryCall<EchoRequest, EchoResponse>, callback: grpc.sendUnaryData<EchoResponse>) {
      const { message } = call.request;
      if (message === "not-found") {
        return callback({ code: grpc.status.NOT_FOUND, details: "no such echo: not-found" });
      }
      if (message === "hang") {
        const id = String(call.metadata.get("x-call-id")[0] ?? "");
        hanging.push({ id, cancelled: new Promise((resolve) => call.on("cancelled", () => resolve())) });
        onHangingCall?.();
        return; // never answers
      }
      if (message.startsWith("flaky-")) {
        const n = (attempts.get(message) ?? 0) + 1;
        attempts.set(message, n);
        if (n <= 2) return callback({ code: grpc.status.UNAVAILABLE, details: `attempt ${n} unavailable` });
        return callback(null, { message: `${message} ok after ${n}`, index: n });
      }
      if (message === "metadata") {
        const initial = new grpc.Metadata();
        initial.set("x-initial", "from-server");
        initial.set("x-echo-client", String(call.metadata.get("x-client")[0] ?? ""));
        call.sendMetadata(initial);
        const trailer = new grpc.Metadata();
        trailer.set("x-trailer", "trailer-value");
        trailer.set("x-bin-bin", Buffer.from([0, 1, 2, 255]));
        return callback(null, { message: "with metadata", index: 0 }, trailer);
      }
      callback(null, { message: `echo: ${message}`, index: 0 });
    },
    ServerStream(call: grpc.ServerWritableStream<EchoRequest, EchoResponse>) {
      for (let i = 0; i < (call.request.count ?? 0); i++) {
        call.write({ message: `${call.request.message} #${i}`, index: i });
      }
      call.end();
    },
    Bidi(call: grpc.ServerDuplexStream<EchoRequest, EchoResponse>) {
      let i = 0;
      call.on("data", (req: EchoRequest) => call.write({ message: `bidi: ${req.message}`, index: i++ }));
      call.on("end", () => call.end());
    },
  });
  return new Promise((resolve, reject) => {
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (err, port) => err ? reject(err) : resolve(port),
    );
  });
}

beforeAll(async () => {
  const grpcPort = await startEchoServer();
  const deadPort = await closedPort();
  proxy = await startProxy(httpBootstrap({
    routes: `
name: local
virtual_hosts:
  - name: grpc
    domains: ["*"]
    routes:
      - match:
          prefix: "/weft.test.Echo/"
          headers: [{ name: x-retry, present_match: true }]
        route:
          cluster: grpc
          retry_policy: { retry_on: unavailable, num_retries: 3, retry_back_off: { base_interval: 0.005s } }
      - match: { prefix: "/weft.test.Echo/" }
        route: { cluster: grpc }
      - match: { prefix: "/weft.test.Dead/" }
        route: { cluster: dead }`,
    clusters: staticCluster("grpc", [grpcPort], HTTP2_UPSTREAM) +
      staticCluster("dead", [deadPort], HTTP2_UPSTREAM),
  }));
  client = new EchoService(
    `127.0.0.1:${proxy.port()}`,
    grpc.credentials.createInsecure(),
  ) as unknown as EchoClient;
});

afterAll(async () => {
  client?.close();
  await proxy?.close();
  server?.forceShutdown();
});

function unary(req: EchoRequest, md = new grpc.Metadata(), opts: grpc.CallOptions = {}) {
  return new Promise<
    { err: grpc.ServiceError | null; res?: EchoResponse; headers?: grpc.Metadata; trailers?: grpc.Metadata }
  >(
    (resolve) => {
      let headers: grpc.Metadata | undefined;
      let trailers: grpc.Metadata | undefined;
      let result: { err: grpc.ServiceError | null; res?: EchoResponse } | undefined;
      let ended = false;
      const done = () => result && ended && resolve({ ...result, headers, trailers });
      const call = client.Echo(req, md, opts, (err, res) => {
        result = { err, res };
        done();
      });
      call.on("metadata", (m) => headers = m);
      call.on("status", (s) => {
        trailers = s.metadata;
        ended = true;
        done();
      });
    },
  );
}

/** Calls an arbitrary method path on the proxy with the Echo message codecs. */
function rawUnary(path: string): Promise<grpc.ServiceError | null> {
  const serialize = EchoService.service.Echo.requestSerialize;
  const deserialize = EchoService.service.Echo.responseDeserialize;
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      serialize,
      deserialize,
      { message: "x" },
      new grpc.Metadata(),
      {},
      (err) => resolve(err),
    );
  });
}

describe("gRPC through the proxy (grpc-js client → Weft → grpc-js server over h2c)", () => {
  it("unary call", async () => {
    const { err, res } = await unary({ message: "hello" });
    expect(err).toBeNull();
    expect(res).toEqual({ message: "echo: hello", index: 0 });
  });

  it("server streaming: 10 messages in order", async () => {
    const got: EchoResponse[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.ServerStream({ message: "tick", count: 10 });
      call.on("data", (m: EchoResponse) => got.push(m));
      call.on("error", reject);
      call.on("end", resolve);
    });
    expect(got.map((m) => m.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(got[9].message).toBe("tick #9");
  });

  it("bidi streaming: echoes 10 messages, each after the one before", async () => {
    const call = client.Bidi();
    const got: EchoResponse[] = [];
    const finished = new Promise<void>((resolve, reject) => {
      call.on("error", reject);
      call.on("end", resolve);
    });
    // Ping-pong: each message is sent only after the previous reply arrived, proving full-duplex streaming.
    for (let i = 0; i < 10; i++) {
      const reply = new Promise<EchoResponse>((resolve) => call.once("data", resolve));
      call.write({ message: `m${i}` });
      got.push(await reply);
    }
    call.end();
    await finished;
    expect(got.map((m) => m.message)).toEqual(Array.from({ length: 10 }, (_, i) => `bidi: m${i}`));
    expect(got.map((m) => m.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("passes an upstream status code and message through (NOT_FOUND)", async () => {
    const { err } = await unary({ message: "not-found" });
    expect(err?.code).toBe(grpc.status.NOT_FOUND);
    expect(err?.details).toBe("no such echo: not-found");
  });

  it("passes request metadata, response headers and trailers (text and -bin)", async () => {
    const md = new grpc.Metadata();
    md.set("x-client", "client-value");
    const { err, res, headers, trailers } = await unary({ message: "metadata" }, md);
    expect(err).toBeNull();
    expect(res?.message).toBe("with metadata");
    expect(headers?.get("x-initial")).toEqual(["from-server"]);
    expect(headers?.get("x-echo-client")).toEqual(["client-value"]);
    expect(trailers?.get("x-trailer")).toEqual(["trailer-value"]);
    expect(trailers?.get("x-bin-bin")).toEqual([Buffer.from([0, 1, 2, 255])]);
  });

  it("client deadline of 200 ms against a server that never answers → DEADLINE_EXCEEDED", async () => {
    const started = performance.now();
    const { err } = await unary({ message: "hang" }, new grpc.Metadata(), { deadline: Date.now() + 200 });
    const elapsed = performance.now() - started;
    expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(2000);
  });

  it("a client cancel (no deadline) resets the upstream call too", async () => {
    const received = new Promise<void>((resolve) => onHangingCall = resolve);
    const md = new grpc.Metadata();
    md.set("x-call-id", "cancel-me");
    const call = client.Echo({ message: "hang" }, md, {}, () => {});
    await received;
    const upstreamCall = hanging.find((h) => h.id === "cancel-me")!;
    expect(upstreamCall).toBeDefined();
    call.cancel();
    // No grpc-timeout was sent, so only the proxy resetting its upstream stream can cancel the server's call.
    await expect(
      Promise.race([upstreamCall.cancelled.then(() => "cancelled"), sleep(3000).then(() => "still running")]),
    )
      .resolves.toBe("cancelled");
  });

  it("no route → gRPC local reply UNIMPLEMENTED (12)", async () => {
    const err = await rawUnary("/weft.test.Nowhere/Echo");
    expect(err?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(err?.code).toBe(12);
  });

  it("cluster with no reachable endpoint → gRPC local reply UNAVAILABLE (14)", async () => {
    const err = await rawUnary("/weft.test.Dead/Echo");
    expect(err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(err?.code).toBe(14);
    expect(err?.details).toMatch(/connect|connection failure/i);
  });

  it("retry_on: unavailable — UNAVAILABLE twice, then OK → the client sees success", async () => {
    const retries = proxy.proxy.stats.counter("cluster.grpc.upstream_rq_retry");
    const before = retries.value;
    const md = new grpc.Metadata();
    md.set("x-retry", "1");
    const { err, res } = await unary({ message: "flaky-1" }, md);
    expect(err).toBeNull();
    expect(res?.message).toBe("flaky-1 ok after 3");
    expect(attempts.get("flaky-1")).toBe(3);
    expect(retries.value - before).toBe(2);
  });

  it("without a retry policy the first UNAVAILABLE reaches the client", async () => {
    const { err } = await unary({ message: "flaky-2" });
    expect(err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(err?.details).toBe("attempt 1 unavailable");
    expect(attempts.get("flaky-2")).toBe(1);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
