// Tests for protocol sniffing: TLS, the HTTP/2 preface, HTTP/1 request lines, raw TCP, and real Node clients.
import { once } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { describe, expect, it } from "vitest";
import {
  applicationProtocolsFor,
  sniffProtocol,
  transportProtocolFor,
} from "../../../proxy/listener/protocol-sniffer.ts";
import { ascii, clientHello, concat, u8 } from "./client-hello-builder.ts";

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

describe("sniffProtocol", () => {
  it("needs bytes before deciding anything", () => {
    expect(sniffProtocol(new Uint8Array(0))).toBe("need-more");
  });

  it("recognises a TLS handshake record from its first three bytes", () => {
    expect(sniffProtocol(clientHello({ serverNames: ["a.test"] }))).toBe("tls");
    expect(sniffProtocol(u8(0x16, 0x03, 0x01))).toBe("tls");
    expect(sniffProtocol(u8(0x16))).toBe("need-more");
    expect(sniffProtocol(u8(0x16, 0x03))).toBe("need-more");
    expect(sniffProtocol(u8(0x16, 0x04))).toBe("tcp");
    expect(sniffProtocol(u8(0x16, 0x03, 0x05))).toBe("tcp");
  });

  it("recognises the HTTP/2 preface and waits while the bytes are a prefix of it", () => {
    expect(sniffProtocol(ascii(PREFACE))).toBe("http2");
    expect(sniffProtocol(concat(ascii(PREFACE), u8(0, 0, 0, 4, 0, 0, 0, 0, 0)))).toBe("http2");
    for (let n = 1; n < PREFACE.length; n++) {
      expect(sniffProtocol(ascii(PREFACE.slice(0, n))), PREFACE.slice(0, n)).toBe("need-more");
    }
    expect(sniffProtocol(ascii("PRI * HTTP/1.1\r\n"))).toBe("tcp");
  });

  it("recognises HTTP/1 request lines by their method and a space", () => {
    for (
      const line of [
        "GET / HTTP/1.1\r\n",
        "POST /x HTTP/1.0\r\n",
        "CONNECT a:443 HTTP/1.1\r\n",
        "OPTIONS * HTTP/1.1",
      ]
    ) {
      expect(sniffProtocol(ascii(line)), line).toBe("http1");
    }
    for (const line of ["HEAD /", "PUT /", "DELETE /", "TRACE /", "PATCH /", "M-SEARCH * ", "PROPFIND /"]) {
      expect(sniffProtocol(ascii(line)), line).toBe("http1");
    }
  });

  it("waits while a known method is still a prefix, then decides", () => {
    for (const partial of ["G", "GE", "GET", "P", "PO", "DELE", "OPTIONS", "M-"]) {
      expect(sniffProtocol(ascii(partial)), partial).toBe("need-more");
    }
    expect(sniffProtocol(ascii("GETX / HTTP/1.1"))).toBe("tcp");
    expect(sniffProtocol(ascii("get / HTTP/1.1"))).toBe("tcp"); // methods are case-sensitive
    expect(sniffProtocol(ascii("GET\t/"))).toBe("tcp");
  });

  it("calls everything else raw TCP", () => {
    expect(sniffProtocol(ascii("*1\r\n$4\r\nPING\r\n"))).toBe("tcp"); // redis
    expect(sniffProtocol(ascii("SSH-2.0-OpenSSH_9.6\r\n"))).toBe("tcp");
    expect(sniffProtocol(u8(0x4a, 0x00, 0x00, 0x00, 0x0a))).toBe("tcp"); // a MySQL greeting
    expect(sniffProtocol(u8(0x00))).toBe("tcp");
  });
});

describe("applicationProtocolsFor / transportProtocolFor", () => {
  it("reports what Envoy's http_inspector would", () => {
    expect(applicationProtocolsFor("http1")).toEqual(["http/1.1"]);
    expect(applicationProtocolsFor("http2")).toEqual(["h2c"]);
    expect(applicationProtocolsFor("tcp")).toEqual([]);
    expect(applicationProtocolsFor("tls")).toEqual([]);
    expect(transportProtocolFor("tls")).toBe("tls");
    expect(transportProtocolFor("http2")).toBe("raw_buffer");
  });
});

describe("sniffProtocol on bytes from real Node clients", () => {
  async function firstBytes(connect: (port: number) => () => void): Promise<Uint8Array> {
    const server = net.createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as net.AddressInfo).port;
    const sniffed = new Promise<Uint8Array>((resolve) => {
      server.on("connection", (socket) => {
        let buffered: Uint8Array = new Uint8Array(0);
        socket.on("data", (chunk: Buffer) => {
          buffered = concat(buffered, chunk);
          if (sniffProtocol(buffered) !== "need-more") {
            resolve(buffered);
            socket.destroy();
          }
        });
      });
    });
    const close = connect(port);
    try {
      return await sniffed;
    } finally {
      close();
      server.close();
    }
  }

  it("sees http1 from node:http", async () => {
    const bytes = await firstBytes((port) => {
      const req = http.request({ host: "127.0.0.1", port, path: "/hello" });
      req.on("error", () => {});
      req.end();
      return () => req.destroy();
    });
    expect(sniffProtocol(bytes)).toBe("http1");
  });

  it("sees http2 (prior knowledge) from node:http2", async () => {
    const bytes = await firstBytes((port) => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on("error", () => {});
      return () => session.destroy();
    });
    expect(sniffProtocol(bytes)).toBe("http2");
  });
});
