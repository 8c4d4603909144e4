// The Workers runtime adapter inside workerd: capabilities, connect() as a core Connection, what it refuses, logs.
import { describe, expect, inject, it } from "vitest";
import { createWorkersRuntime, WORKERS_CAPABILITIES } from "../../adapters/workers/runtime.ts";
import { isWeftError } from "../../proxy/errors.ts";
import "./support/provided.ts";

const ctx = inject("workers");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

describe("createWorkersRuntime", () => {
  it("publishes what it cannot do", () => {
    const runtime = createWorkersRuntime();
    expect(runtime.capabilities).toEqual({
      name: "workers",
      inboundTcp: false,
      downstreamMtls: false,
      upstreamHttp2: false,
    });
    expect(runtime.capabilities).toBe(WORKERS_CAPABILITIES);
    expect(runtime.http.serve).toBeUndefined();
    expect(runtime.http.listen).toBeUndefined();
    expect(runtime.readTextFile).toBeUndefined();
  });

  it("rejects listening and TLS termination with WeftError unsupported", async () => {
    const runtime = createWorkersRuntime();
    const listen = await runtime.net.listen({ host: "0.0.0.0", port: 80 }, () => {}).catch((e) => e);
    expect(isWeftError(listen, "unsupported")).toBe(true);
    expect(listen.message).toMatch(/accepts no inbound TCP connections/);
    const conn = await runtime.net.connect({
      host: "127.0.0.1",
      port: ctx.upstreamPorts[0],
      timeoutMs: 1000,
    });
    const tls = await runtime.net.startTls(conn, { certPem: "C", keyPem: "K" }).catch((e) => e);
    expect(isWeftError(tls, "unsupported")).toBe(true);
    conn.destroy();
  });

  it("resolves a host name to itself (fetch() and connect() resolve names)", async () => {
    expect(await createWorkersRuntime().dns.resolve("shop.example.internal")).toEqual([
      "shop.example.internal",
    ]);
  });

  it("buffers log lines for a sink and hands them over on flush; WEFT_LOG=off silences them", async () => {
    const flushed: string[][] = [];
    const runtime = createWorkersRuntime({}, undefined, {
      logSink: async (lines) => void flushed.push([...lines]),
    });
    runtime.log("one");
    runtime.log("two");
    expect(flushed).toEqual([]);
    await runtime.flush();
    await runtime.flush();
    expect(flushed).toEqual([["one", "two"]]);

    const seen: string[] = [];
    const quiet = createWorkersRuntime({ WEFT_LOG: "off" }, undefined, { log: (l) => seen.push(l) });
    quiet.log("hidden");
    expect(seen).toEqual([]);
  });

  it("hands background work to the bound ExecutionContext", async () => {
    const handed: Promise<unknown>[] = [];
    const runtime = createWorkersRuntime({}, { waitUntil: (p) => void handed.push(p) });
    runtime.waitUntil(Promise.resolve(1));
    const second: Promise<unknown>[] = [];
    runtime.useContext({ waitUntil: (p) => void second.push(p) });
    runtime.waitUntil(Promise.reject(new Error("swallowed and logged")));
    expect(handed).toHaveLength(1);
    expect(second).toHaveLength(1);
    await expect(second[0]).resolves.toBeUndefined();
  });
});

describe("connect() as a core Connection", () => {
  it("speaks bytes both ways; peek() buffers without consuming", async () => {
    const runtime = createWorkersRuntime();
    const conn = await runtime.net.connect({
      host: "127.0.0.1",
      port: ctx.upstreamPorts[1],
      timeoutMs: 2000,
    });
    expect(conn.remotePort).toBe(ctx.upstreamPorts[1]);
    await conn.write(encoder.encode("GET /echo/raw HTTP/1.1\r\nHost: raw.test\r\nConnection: close\r\n\r\n"));
    const peeked = await conn.peek(5, 2000);
    expect(decoder.decode(peeked.subarray(0, 5))).toBe("HTTP/");
    let all = "";
    for await (const chunk of conn.readable) all += decoder.decode(chunk, { stream: true });
    expect(all.startsWith("HTTP/1.1 200 OK")).toBe(true);
    expect(all).toContain(`x-upstream-port: ${ctx.upstreamPorts[1]}`);
    expect(all).toContain('"path":"/echo/raw"');
    conn.end(); // the peer closed its side; half-closing ours completes the close
    await conn.closed;
  });

  it("peek() returns what it has when the peer stays silent; the read it left in flight loses nothing", async () => {
    const conn = await createWorkersRuntime().net.connect({
      host: "127.0.0.1",
      port: ctx.upstreamPorts[0],
      timeoutMs: 2000,
    });
    const started = Date.now();
    expect((await conn.peek(1, 100)).length).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await conn.write(
      encoder.encode("GET /status/201 HTTP/1.1\r\nHost: raw.test\r\nConnection: close\r\n\r\n"),
    );
    let all = "";
    for await (const chunk of conn.readable) all += decoder.decode(chunk, { stream: true });
    expect(all).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(all).toContain("status 201");
    conn.end();
    await conn.closed;
  });

  it("reports a refused connection as upstream_connect_failure and refuses custom TLS trust", async () => {
    const runtime = createWorkersRuntime();
    const refused = await runtime.net.connect({ host: "127.0.0.1", port: ctx.closedPort, timeoutMs: 2000 })
      .catch((e) => e);
    expect(isWeftError(refused, "upstream_connect_failure")).toBe(true);
    const tls = await runtime.net.connect({
      host: "127.0.0.1",
      port: ctx.upstreamPorts[0],
      timeoutMs: 2000,
      tls: { caPem: "PEM" },
    }).catch((e) => e);
    expect(isWeftError(tls, "unsupported")).toBe(true);
  });
});
