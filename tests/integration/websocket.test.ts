// Integration: WebSocket upgrades through the proxy with the real `ws` client and server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AddressInfo } from "node:net";
import type { IncomingMessage } from "node:http";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import { httpBootstrap, startProxy, staticCluster, type TestProxy } from "../support/harness.ts";

let wss: WebSocketServer;
let proxy: TestProxy;
/** Upgrade requests the upstream received (path and headers). */
const upgrades: { url: string; headers: IncomingMessage["headers"] }[] = [];
let onServerClose: ((close: { code: number; reason: string }) => void) | undefined;

beforeAll(async () => {
  wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  wss.on("connection", (socket, req) => {
    upgrades.push({ url: req.url ?? "", headers: req.headers });
    socket.on("message", (data: RawData, isBinary: boolean) => {
      // Echo: text is upper-cased (proves it went through the upstream), binary is reversed.
      if (isBinary) socket.send(Buffer.from(data as Buffer).reverse(), { binary: true });
      else socket.send(String(data).toUpperCase());
    });
    socket.on("close", (code, reason) => onServerClose?.({ code, reason: reason.toString() }));
  });
  const wsPort = (wss.address() as AddressInfo).port;
  proxy = await startProxy(httpBootstrap({
    hcmExtra: "upgrade_configs: [{ upgrade_type: websocket }]",
    routes: `
name: local
virtual_hosts:
  - name: all
    domains: ["*"]
    routes:
      - match: { prefix: "/no-ws" }
        route: { cluster: ws, upgrade_configs: [{ upgrade_type: websocket, enabled: false }] }
      - match: { prefix: "/" }
        route: { cluster: ws }`,
    clusters: staticCluster("ws", [wsPort]),
  }));
});

afterAll(async () => {
  await proxy?.close();
  for (const c of wss?.clients ?? []) c.terminate();
  await new Promise<void>((resolve) => wss ? wss.close(() => resolve()) : resolve());
});

function open(path: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port()}${path}`);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

describe("WebSocket through the proxy (upgrade_configs: websocket)", () => {
  it("exchanges 100 text and binary messages and a close handshake", async () => {
    const before = upgrades.length;
    const ws = await open("/chat?room=1");
    expect(upgrades.length).toBe(before + 1);
    expect(upgrades[before].url).toBe("/chat?room=1");
    expect(upgrades[before].headers.upgrade?.toLowerCase()).toBe("websocket");

    const replies: { data: Buffer; isBinary: boolean }[] = [];
    const all = new Promise<void>((resolve) => {
      ws.on("message", (data: RawData, isBinary: boolean) => {
        replies.push({ data: Buffer.from(data as Buffer), isBinary });
        if (replies.length === 100) resolve();
      });
    });
    const sent: (string | Buffer)[] = [];
    for (let i = 0; i < 100; i++) {
      const msg = i % 2 === 0 ? `hello ${i}` : Buffer.from([i, 0, 255, i * 2 % 256, 7]);
      sent.push(msg);
      ws.send(msg);
    }
    await all;
    replies.forEach((r, i) => {
      const s = sent[i];
      if (typeof s === "string") {
        expect(r.isBinary).toBe(false);
        expect(r.data.toString()).toBe(s.toUpperCase());
      } else {
        expect(r.isBinary).toBe(true);
        expect(r.data).toEqual(Buffer.from(s).reverse());
      }
    });

    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() }))
    );
    const serverClosed = new Promise<{ code: number; reason: string }>((resolve) => onServerClose = resolve);
    ws.close(4001, "bye from client");
    // The close frame travels to the upstream and its echo comes back: a clean, complete handshake.
    expect(await closed).toEqual({ code: 4001, reason: "bye from client" });
    expect(await serverClosed).toEqual({ code: 4001, reason: "bye from client" });
  });

  it("carries a large (1 MiB) binary frame intact", async () => {
    const ws = await open("/big");
    const payload = Buffer.alloc(1 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
    const reply = new Promise<Buffer>((resolve) =>
      ws.once("message", (d: RawData) => resolve(Buffer.from(d as Buffer)))
    );
    ws.send(payload);
    expect((await reply).equals(Buffer.from(payload).reverse())).toBe(true);
    ws.terminate();
  });

  it("refuses the upgrade with 403 on a route with websocket disabled; the upstream never sees it", async () => {
    const before = upgrades.length;
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port()}/no-ws/chat`);
    const status = await new Promise<number>((resolve, reject) => {
      ws.once("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
      ws.once("open", () => reject(new Error("upgrade unexpectedly accepted")));
      ws.once("error", () => {});
    });
    ws.terminate();
    expect(status).toBe(403);
    expect(upgrades.length).toBe(before);
    expect(proxy.proxy.stats.counter("http.test.downstream_rq_ws_on_non_ws_route").value).toBe(1);
  });
});

describe("WebSocket on an HCM without upgrade_configs", () => {
  let plain: TestProxy;
  beforeAll(async () => {
    plain = await startProxy(httpBootstrap({
      routes: `
name: local
virtual_hosts:
  - name: all
    domains: ["*"]
    routes:
      - match: { prefix: "/" }
        route: { cluster: ws }`,
      clusters: staticCluster("ws", [(wss.address() as AddressInfo).port]),
    }));
  });
  afterAll(async () => await plain?.close());

  it("refuses the upgrade (403) and never contacts the upstream", async () => {
    const before = upgrades.length;
    const ws = new WebSocket(`ws://127.0.0.1:${plain.port()}/chat`);
    const status = await new Promise<number>((resolve, reject) => {
      ws.once("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
      ws.once("open", () => reject(new Error("upgrade unexpectedly accepted")));
      ws.once("error", () => {});
    });
    ws.terminate();
    expect(status).toBe(403);
    expect(upgrades.length).toBe(before);
  });
});
