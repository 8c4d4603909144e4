// Tests for the tls inspector: hand-built hellos, malformed and truncated input, fuzzing, and a real Node client.
import { once } from "node:events";
import * as net from "node:net";
import * as tls from "node:tls";
import { describe, expect, it } from "vitest";
import { inspectClientHello, MAX_CLIENT_HELLO_BYTES } from "../../../proxy/listener/tls-inspector.ts";
import { sniffProtocol } from "../../../proxy/listener/protocol-sniffer.ts";
import {
  alpnExtension,
  ascii,
  clientHello,
  concat,
  encodeExtensions,
  extension,
  handshake,
  helloBody,
  records,
  seededRandom,
  sniExtension,
  u16,
  u8,
  vec16,
} from "./client-hello-builder.ts";

const TLS_RESULTS = ["need-more", "not-tls", "tls"];
const typical = clientHello({
  serverNames: ["api.example.com"],
  alpn: ["h2", "http/1.1"],
  before: [extension(43, u8(4, 0x03, 0x04, 0x03, 0x03))], // supported_versions
  after: [extension(51, new Uint8Array(38).fill(7)), extension(21, new Uint8Array(100))], // key_share, padding
});

describe("inspectClientHello: well-formed hellos", () => {
  it("finds SNI and ALPN among other extensions", () => {
    expect(inspectClientHello(typical)).toEqual({
      kind: "tls",
      serverName: "api.example.com",
      alpn: ["h2", "http/1.1"],
    });
  });

  it("reports TLS without SNI or ALPN, also for a hello with no extensions block", () => {
    expect(inspectClientHello(clientHello({ after: [extension(10, vec16(u16(29)))] }))).toEqual({
      kind: "tls",
      alpn: [],
    });
    expect(inspectClientHello(clientHello({ noExtensions: true }))).toEqual({ kind: "tls", alpn: [] });
  });

  it("lower-cases the server name and takes the first host_name entry", () => {
    expect(inspectClientHello(clientHello({ serverNames: ["WWW.Example.COM", "other.test"] }))).toMatchObject(
      {
        serverName: "www.example.com",
      },
    );
  });

  it("accepts an empty session id and any record minor version 0..4", () => {
    const body = handshake(helloBody({ sessionIdLength: 0, serverNames: ["a.test"] }));
    for (const version of [0, 1, 2, 3, 4]) {
      expect(inspectClientHello(records(body, 16384, version))).toMatchObject({
        kind: "tls",
        serverName: "a.test",
      });
    }
  });

  it("reassembles a hello split across several records, even inside the handshake header", () => {
    const stream = handshake(helloBody({ serverNames: ["split.example.com"], alpn: ["h2"] }));
    for (const size of [1, 2, 3, 7, 50, 100]) {
      expect(inspectClientHello(records(stream, size))).toEqual({
        kind: "tls",
        serverName: "split.example.com",
        alpn: ["h2"],
      });
    }
  });

  it("ignores bytes after the hello (e.g. the client's next flight)", () => {
    expect(inspectClientHello(concat(typical, u8(0x17, 0x03, 0x03, 0, 1, 0)))).toMatchObject({ kind: "tls" });
  });
});

describe("inspectClientHello: truncated input", () => {
  it("asks for more for every proper prefix of a valid hello, single or multi-record", () => {
    const multi = records(handshake(helloBody({ serverNames: ["a.example"], alpn: ["h2"] })), 40);
    for (const hello of [typical, multi]) {
      for (let n = 0; n < hello.length; n++) {
        expect(inspectClientHello(hello.subarray(0, n)).kind, `prefix of ${n} bytes`).toBe("need-more");
      }
      expect(inspectClientHello(hello).kind).toBe("tls");
    }
  });

  it("gives up at the size cap: a declared hello larger than the cap is not TLS", () => {
    const huge = concat(u8(0x16, 0x03, 0x01), u16(16384), u8(1, 0x00, 0x4e, 0x20)); // handshake length 20000
    expect(inspectClientHello(huge).kind).toBe("not-tls");
    const big = clientHello({ after: [extension(21, new Uint8Array(1000))] });
    expect(inspectClientHello(big, 512).kind).toBe("not-tls");
    expect(inspectClientHello(big, 2048).kind).toBe("tls");
  });

  it("is not TLS once the cap is reached and the hello is still incomplete", () => {
    // 16,000 bytes of handshake in 100-byte records: record headers push it past 16 KiB on the wire.
    const stream = handshake(helloBody({ after: [extension(21, new Uint8Array(15_900))] }));
    const wire = records(stream, 100);
    expect(wire.length).toBeGreaterThan(MAX_CLIENT_HELLO_BYTES);
    expect(inspectClientHello(wire.subarray(0, MAX_CLIENT_HELLO_BYTES - 1)).kind).toBe("need-more");
    expect(inspectClientHello(wire.subarray(0, MAX_CLIENT_HELLO_BYTES)).kind).toBe("not-tls");
  });
});

describe("inspectClientHello: not TLS", () => {
  const body = (options = {}) => helloBody(options);
  const cases: [string, Uint8Array][] = [
    ["an HTTP request", ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
    ["an application-data record", u8(0x17, 0x03, 0x03, 0x00, 0x10)],
    ["a record version above 3.4", u8(0x16, 0x03, 0x05)],
    ["an SSLv2-looking major version", u8(0x16, 0x02)],
    ["a zero-length record", u8(0x16, 0x03, 0x01, 0x00, 0x00)],
    ["a record longer than 2^14", u8(0x16, 0x03, 0x01, 0x40, 0x01)],
    ["a ServerHello", records(handshake(body(), 2))],
    ["a handshake type known early", u8(0x16, 0x03, 0x01, 0x00, 0x40, 0x02)],
    ["a legacy_version major other than 3", records(handshake(concat(u8(0x02, 0x00), body().subarray(2))))],
    ["a session id longer than 32", records(handshake(body({ sessionIdLength: 33 })))],
    [
      "an odd cipher suites length",
      records(handshake(concat(body({ sessionIdLength: 0 }).subarray(0, 35), u8(0, 3, 1, 2, 3, 1, 0)))),
    ],
    [
      "a bad field before the rest of the hello has arrived",
      records(handshake(body({ sessionIdLength: 33 }))).subarray(0, 5 + 4 + 35),
    ],
    [
      "a record that is not a handshake mid-hello",
      concat(records(handshake(body()), 20).subarray(0, 25), u8(0x15)),
    ],
    [
      "an extension running past the end",
      records(handshake(helloBody({}, concat(u16(6), u16(0), u16(10), u8(0, 0))))),
    ],
    [
      "extensions shorter than declared",
      records(handshake(concat(helloBody({}, encodeExtensions([sniExtension(["a.test"])])), u8(0)))),
    ],
    [
      "an SNI list length mismatch",
      records(handshake(helloBody({}, encodeExtensions([extension(0, u8(0, 9, 0, 0, 1, 97))])))),
    ],
    ["an empty SNI host_name", records(handshake(helloBody({}, encodeExtensions([sniExtension([""])]))))],
    [
      "an SNI with a control character",
      records(handshake(helloBody({}, encodeExtensions([sniExtension(["a\nb"])])))),
    ],
    [
      "an empty ALPN protocol",
      records(handshake(helloBody({}, encodeExtensions([alpnExtension(["h2", ""])])))),
    ],
    ["an empty ALPN list", records(handshake(helloBody({}, encodeExtensions([extension(16, vec16())]))))],
    [
      "a duplicate server_name extension",
      records(
        handshake(helloBody({}, encodeExtensions([sniExtension(["a.test"]), sniExtension(["b.test"])]))),
      ),
    ],
  ];
  for (const [name, bytes] of cases) {
    it(`rejects ${name}`, () => {
      expect(inspectClientHello(bytes).kind).toBe("not-tls");
    });
  }
});

describe("inspectClientHello: fuzz", () => {
  it("never throws on 2,000 random byte strings, half of them with a plausible TLS prefix", () => {
    const random = seededRandom(0x5eed);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(Math.floor(random() * 600));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      if (i % 2 === 0 && bytes.length >= 9) {
        bytes.set([
          0x16,
          0x03,
          i % 5,
          (bytes.length - 5) >> 8,
          (bytes.length - 5) & 0xff,
          1,
          0,
          (bytes.length - 9) >> 8,
          (bytes.length - 9) & 0xff,
        ]);
      }
      const result = inspectClientHello(bytes);
      expect(TLS_RESULTS).toContain(result.kind);
      seen.add(result.kind);
    }
    expect(seen.has("not-tls")).toBe(true);
  });

  it("never throws on single-byte mutations and every truncation of a valid hello", () => {
    const random = seededRandom(42);
    for (let i = 0; i < typical.length; i++) {
      const mutated = typical.slice();
      mutated[i] ^= 1 + Math.floor(random() * 255);
      const result = inspectClientHello(mutated);
      expect(TLS_RESULTS).toContain(result.kind);
      if (result.kind === "tls") expect(Array.isArray(result.alpn)).toBe(true);
      expect(inspectClientHello(typical.subarray(0, i)).kind).toBe("need-more");
    }
  });
});

describe("inspectClientHello: a real Node TLS client", () => {
  async function captureHello(options: tls.ConnectionOptions): Promise<Uint8Array> {
    const server = net.createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as net.AddressInfo).port;
    const captured = new Promise<Uint8Array>((resolve) => {
      server.on("connection", (socket) => {
        let buffered: Uint8Array = new Uint8Array(0);
        socket.on("data", (chunk: Buffer) => {
          buffered = concat(buffered, chunk);
          if (inspectClientHello(buffered).kind !== "need-more") {
            resolve(buffered);
            socket.destroy();
          }
        });
      });
    });
    const client = tls.connect({ host: "127.0.0.1", port, ...options });
    client.on("error", () => {}); // the server hangs up mid-handshake
    try {
      return await captured;
    } finally {
      client.destroy();
      server.close();
    }
  }

  it("parses SNI and ALPN from the hello node:tls sends", async () => {
    const hello = await captureHello({ servername: "api.example.com", ALPNProtocols: ["h2", "http/1.1"] });
    expect(sniffProtocol(hello)).toBe("tls");
    expect(inspectClientHello(hello)).toEqual({
      kind: "tls",
      serverName: "api.example.com",
      alpn: ["h2", "http/1.1"],
    });
    for (let n = 0; n < hello.length; n += 7) {
      expect(inspectClientHello(hello.subarray(0, n)).kind).toBe("need-more");
    }
  });

  it("reports no SNI and no ALPN when the client sends neither", async () => {
    const hello = await captureHello({});
    expect(inspectClientHello(hello)).toEqual({ kind: "tls", alpn: [] });
  });
});
