// Malformed HTTP/1.1 over raw node:net sockets: a precise 4xx, the connection closed, the proxy still serving.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  httpBootstrap,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from "../support/harness.ts";
import { rawExchange } from "../support/raw-clients.ts";

let upstream: Upstream;
let proxy: TestProxy;

beforeAll(async () => {
  upstream = await startUpstream("backend");
  proxy = await startProxy(httpBootstrap({
    routes:
      `name: r\nvirtual_hosts: [{ name: a, domains: ["*"], routes: [{ match: { prefix: / }, route: { cluster: backend } }] }]`,
    clusters: staticCluster("backend", [upstream.port]),
    hcmExtra: "max_request_headers_kb: 8\ncommon_http_protocol_options: { max_headers_count: 20 }",
  }));
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
});

/** After every malformed request the proxy still answers a normal one on a fresh connection. */
afterEach(async () => {
  const before = upstream.seen.length;
  const ok = await rawExchange(proxy.port(), "GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  expect(ok.status).toBe(200);
  expect(ok.response.endsWith("backend") || ok.response.endsWith("7\r\nbackend\r\n0\r\n\r\n")).toBe(true);
  expect(upstream.seen.length).toBe(before + 1);
});

/** Sends `bytes`; expects `status`, the connection closed by the proxy, and nothing forwarded upstream. */
async function expectRejected(bytes: string, status: number, bodyPattern?: RegExp) {
  const before = upstream.seen.length;
  const ex = await rawExchange(proxy.port(), bytes);
  expect(ex.status, ex.response).toBe(status);
  expect(ex.closedByPeer).toBe(true);
  expect(ex.response.toLowerCase()).toContain("connection: close");
  if (bodyPattern) expect(ex.response).toMatch(bodyPattern);
  expect(upstream.seen.length).toBe(before);
  return ex;
}

const headers = (n: number) => Array.from({ length: n }, (_, i) => `x-h${i}: v${i}\r\n`).join("");

describe("malformed request framing", () => {
  it("bad chunked encoding (a non-hex chunk size) → 400", async () => {
    await expectRejected(
      "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      400,
      /malformed request/,
    );
  });

  it("Content-Length together with Transfer-Encoding: chunked → 400", async () => {
    await expectRejected(
      "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400,
    );
  });

  it("two different Content-Length values → 400", async () => {
    await expectRejected(
      "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      400,
    );
  });

  it("a request line that is not HTTP → 400", async () => {
    await expectRejected("HELLO THERE\r\n\r\n", 400);
  });
});

describe("invalid header characters", () => {
  it("a space in a header name → 400", async () => {
    await expectRejected("GET / HTTP/1.1\r\nHost: a\r\nBad Header: v\r\n\r\n", 400);
  });

  it("a control character in a header value → 400", async () => {
    await expectRejected("GET / HTTP/1.1\r\nHost: a\r\nx-bad: a\u0001b\r\n\r\n", 400);
  });

  it("a bare CR inside a header value → 400", async () => {
    await expectRejected("GET / HTTP/1.1\r\nHost: a\r\nx-bad: a\rb\r\n\r\n", 400);
  });
});

describe("header limits", () => {
  it("headers within max_request_headers_kb (8) pass", async () => {
    const ex = await rawExchange(
      proxy.port(),
      `GET /big HTTP/1.1\r\nHost: a\r\nx-big: ${"a".repeat(7000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(ex.status).toBe(200);
    expect(upstream.seen.at(-1)!.headers["x-big"]).toHaveLength(7000);
  });

  it("headers beyond max_request_headers_kb (8) → 431", async () => {
    await expectRejected(
      `GET /big HTTP/1.1\r\nHost: a\r\nx-big: ${"a".repeat(9000)}\r\n\r\n`,
      431,
      /too large/,
    );
  });

  it("exactly max_headers_count (20) headers pass", async () => {
    const ex = await rawExchange(
      proxy.port(),
      `GET /many HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${headers(18)}\r\n`,
    );
    expect(ex.status).toBe(200);
    expect(upstream.seen.at(-1)!.headers["x-h17"]).toBe("v17");
  });

  it("more headers than max_headers_count (20) → 431", async () => {
    await expectRejected(
      `GET /many HTTP/1.1\r\nHost: a\r\n${headers(20)}\r\n`,
      431,
      /too many request headers/,
    );
  });
});
