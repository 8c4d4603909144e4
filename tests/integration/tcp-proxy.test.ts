// Integration: the tcp_proxy network filter with real node:net peers (and redis-server when installed).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { closedPort, indent, startProxy, staticCluster, type TestProxy } from "../support/harness.ts";

const EOF_MARK = "#EOF";

interface EchoServer {
  readonly port: number;
  readonly server: Server;
  /** Connections accepted so far. */
  accepted: number;
  /** Server-side sockets, to observe closes. */
  readonly sockets: Socket[];
}

/** Echoes every byte; when the client half-closes, answers EOF_MARK and then closes its side too. */
async function startEcho(): Promise<EchoServer> {
  const state = { accepted: 0, sockets: [] as Socket[] } as EchoServer & { accepted: number };
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    state.accepted++;
    state.sockets.push(socket);
    socket.on("error", () => {});
    socket.on("data", (chunk) => socket.write(chunk));
    socket.on("end", () => socket.end(EOF_MARK));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(state, { server, port: (server.address() as AddressInfo).port });
}

function tcpListener(name: string, config: string): string {
  return `
    - name: ${name}
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: ${name}
${indent(config, 16)}`;
}

let a: EchoServer;
let b: EchoServer;
let proxy: TestProxy;
const L = { echo: 0, split: 1, idle: 2, refused: 3, failover: 4, zero: 5, redis: 6 } as const;
let redisPort = 0;
let redis: ChildProcess | undefined;
const redisAvailable = (() => {
  try {
    execFileSync("which", ["redis-server"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!redisAvailable) console.warn("skipping the Redis case: redis-server is not on PATH");

beforeAll(async () => {
  a = await startEcho();
  b = await startEcho();
  const dead = await closedPort();
  redisPort = redisAvailable ? await closedPort() : dead;
  if (redisAvailable) redis = await startRedis(redisPort);
  proxy = await startProxy(`
static_resources:
  listeners:${tcpListener("echo", "cluster: a")}${
    tcpListener(
      "split",
      `weighted_clusters:
  clusters:
    - { name: a, weight: 75 }
    - { name: b, weight: 25 }`,
    )
  }${tcpListener("idle", "cluster: a\nidle_timeout: 0.3s")}${tcpListener("refused", "cluster: dead")}${
    tcpListener("failover", "cluster: dead_then_b\nmax_connect_attempts: 2")
  }${
    tcpListener(
      "zero",
      `weighted_clusters:
  clusters:
    - { name: a, weight: 0 }
    - { name: b, weight: 1 }`,
    )
  }${tcpListener("redis", "cluster: redis")}
  clusters:
${
    indent(
      [
        staticCluster("a", [a.port]),
        staticCluster("b", [b.port]),
        staticCluster("dead", [dead]),
        staticCluster("dead_then_b", [dead, b.port]),
        staticCluster("redis", [redisPort]),
      ].join(""),
      4,
    )
  }`);
});

afterAll(async () => {
  await proxy?.close();
  for (const s of [a, b]) {
    for (const socket of s?.sockets ?? []) socket.destroy();
    await new Promise<void>((resolve) => s ? s.server.close(() => resolve()) : resolve());
  }
  redis?.kill();
});

interface Outcome {
  readonly data: Buffer;
  /** The proxy closed the connection (end or reset). */
  readonly closed: true;
  readonly reset: boolean;
}

/** Connects, sends `payload`, half-closes (unless `keepOpen`), and collects everything until the proxy closes. */
function exchange(
  port: number,
  payload: Buffer | string,
  options: { halfClose?: boolean } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let reset = false;
    const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => reset = true);
    socket.on("end", () => socket.end());
    socket.on("close", () => resolve({ data: Buffer.concat(chunks), closed: true, reset }));
    socket.write(payload);
    if (options.halfClose ?? true) socket.end();
  });
}

describe("tcp_proxy", () => {
  it("round-trips 1 MiB of random bytes unchanged", async () => {
    const payload = randomBytes(1 << 20);
    const out = await exchange(proxy.port(L.echo), payload);
    expect(out.reset).toBe(false);
    expect(out.data.length).toBe(payload.length + EOF_MARK.length);
    expect(out.data.subarray(0, payload.length).equals(payload)).toBe(true);
    expect(out.data.subarray(payload.length).toString()).toBe(EOF_MARK);
  });

  it("half-close: the client ends its side and still receives the upstream's reply", async () => {
    const socket = connect({ host: "127.0.0.1", port: proxy.port(L.echo), allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((resolve) => socket.once("end", resolve));
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    // Wait for the first echo so the upstream connection is known to be up.
    const first = new Promise<void>((resolve) => socket.once("data", () => resolve()));
    socket.write("ping");
    await first;
    socket.end(); // FIN → proxy → upstream; the upstream answers EOF_MARK only after seeing it.
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe(`ping${EOF_MARK}`);
    socket.destroy();
  });

  it("weighted_clusters split connections about 75/25", async () => {
    const beforeA = a.accepted;
    const beforeB = b.accepted;
    const n = 200;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => exchange(proxy.port(L.split), `c${i}`)),
    );
    results.forEach((r, i) => expect(r.data.toString()).toBe(`c${i}${EOF_MARK}`));
    const toA = a.accepted - beforeA;
    const toB = b.accepted - beforeB;
    expect(toA + toB).toBe(n);
    // Expected 150 / 50 (σ ≈ 6): bounds at more than 6σ.
    expect(toA).toBeGreaterThan(110);
    expect(toA).toBeLessThan(190);
    expect(toB).toBeGreaterThan(10);
  });

  it("a zero weight never receives connections", async () => {
    const beforeA = a.accepted;
    const beforeB = b.accepted;
    await Promise.all(Array.from({ length: 20 }, (_, i) => exchange(proxy.port(L.zero), `z${i}`)));
    expect(a.accepted - beforeA).toBe(0);
    expect(b.accepted - beforeB).toBe(20);
  });

  it("idle_timeout (0.3 s) closes an idle connection on both sides", async () => {
    const socket = connect({ host: "127.0.0.1", port: proxy.port(L.idle) });
    socket.on("error", () => {});
    const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(performance.now())));
    const echoed = new Promise<void>((resolve) => socket.once("data", () => resolve()));
    const upstreamBefore = a.sockets.length;
    socket.write("hi");
    await echoed;
    const lastActivity = performance.now();
    const upstreamSocket = a.sockets[upstreamBefore];
    expect(upstreamSocket).toBeDefined();
    const upstreamClosed = new Promise<void>((resolve) =>
      upstreamSocket.destroyed ? resolve() : upstreamSocket.once("close", () => resolve())
    );
    const idleFor = (await closed) - lastActivity;
    await upstreamClosed;
    expect(idleFor).toBeGreaterThanOrEqual(250);
    expect(idleFor).toBeLessThan(1500);
    expect(proxy.proxy.stats.counter("tcp.idle.idle_timeout").value).toBe(1);
  });

  it("upstream connection refused → the downstream connection is closed with no data", async () => {
    const exceeded = proxy.proxy.stats.counter("tcp.refused.upstream_connect_attempts_exceeded");
    const before = exceeded.value;
    const out = await exchange(proxy.port(L.refused), "anyone?", { halfClose: false });
    expect(out.closed).toBe(true);
    expect(out.data.length).toBe(0);
    expect(exceeded.value - before).toBe(1);
    expect(proxy.proxy.stats.counter("cluster.dead.upstream_cx_connect_fail").value).toBeGreaterThanOrEqual(
      1,
    );
  });

  it("max_connect_attempts: 2 fails over from a refusing endpoint to a live one", async () => {
    const beforeB = b.accepted;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => exchange(proxy.port(L.failover), `f${i}`)),
    );
    results.forEach((r, i) => expect(r.data.toString()).toBe(`f${i}${EOF_MARK}`));
    expect(b.accepted - beforeB).toBe(6);
  });

  it.skipIf(!redisAvailable)("speaks RESP to a real redis-server: PING, SET, GET", async () => {
    const socket = connect({ host: "127.0.0.1", port: proxy.port(L.redis) });
    let buffered = "";
    socket.setEncoding("utf8");
    const readReply = (expected: string) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reply, got ${JSON.stringify(buffered)}`)), 3000);
        const check = () => {
          if (buffered.length < expected.length) return;
          clearTimeout(timer);
          socket.off("data", onData);
          const reply = buffered.slice(0, expected.length);
          buffered = buffered.slice(expected.length);
          resolve(reply);
        };
        const onData = (c: string) => {
          buffered += c;
          check();
        };
        socket.on("data", onData);
        check();
      });
    const cmd = (...args: string[]) =>
      `*${args.length}\r\n${args.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("")}`;
    socket.write(cmd("PING"));
    expect(await readReply("+PONG\r\n")).toBe("+PONG\r\n");
    socket.write(cmd("SET", "weft:key", "through the proxy"));
    expect(await readReply("+OK\r\n")).toBe("+OK\r\n");
    socket.write(cmd("GET", "weft:key"));
    expect(await readReply("$17\r\nthrough the proxy\r\n")).toBe("$17\r\nthrough the proxy\r\n");
    socket.destroy();
  });
});

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn("redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
  ], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("redis-server did not start")), 5000);
    child.stdout!.on("data", (c: Buffer) => {
      if (/ready to accept connections/i.test(c.toString())) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", () => reject(new Error("redis-server exited")));
  });
  return child;
}
