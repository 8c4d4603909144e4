// Request → DownstreamRequest and HttpResponse → Response conversion, inside workerd.
import { describe, expect, it } from "vitest";
import {
  headersToMap,
  mapToHeaders,
  toDownstreamRequest,
  toResponse,
} from "../../adapters/workers/request-conversion.ts";

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

async function readAll(body: AsyncIterable<Uint8Array> | null): Promise<string> {
  if (!body) return "";
  let out = "";
  const decoder = new TextDecoder();
  for await (const c of body) out += decoder.decode(c, { stream: true });
  return out + decoder.decode();
}

describe("toDownstreamRequest", () => {
  it("carries method, authority, path with query, lower-case headers and the client address", async () => {
    const request = new Request("https://edge.example.com/shop/cart?id=7&x=%20", {
      method: "POST",
      headers: { "X-Trace": "abc", "CF-Connecting-IP": "203.0.113.9", "content-type": "text/plain" },
      body: "hello edge",
    });
    const req = toDownstreamRequest(request);
    expect(req.method).toBe("POST");
    expect(req.scheme).toBe("https");
    expect(req.authority).toBe("edge.example.com");
    expect(req.path).toBe("/shop/cart?id=7&x=%20");
    expect(req.headers["x-trace"]).toBe("abc");
    expect(req.headers["content-type"]).toBe("text/plain");
    expect(req.remoteAddress).toBe("203.0.113.9");
    expect(req.localPort).toBe(443);
    expect(req.tls?.serverName).toBe("edge.example.com");
    expect(req.protocol).toBe("HTTP/1.1");
    expect(req.trailers()).toBeUndefined();
    expect(req.signal).toBeInstanceOf(AbortSignal);
    // The request's own stream is handed over (no copy), so an upstream fetch() can stream it on.
    expect(req.body).toBe(request.body);
    expect(await readAll(req.body)).toBe("hello edge");
  });

  it("prefers the Host header, keeps an explicit port, and has no body for GET", () => {
    const req = toDownstreamRequest(
      new Request("http://127.0.0.1:8787/a", { headers: { host: "shop.example.com:8080" } }),
    );
    expect(req.authority).toBe("shop.example.com:8080");
    expect(req.scheme).toBe("http");
    expect(req.localPort).toBe(8787);
    expect(req.tls).toBeUndefined();
    expect(req.body).toBeNull();
    expect(req.remoteAddress).toBe("");
  });
});

describe("header maps", () => {
  it("keeps each Set-Cookie separate and joins other repeated headers", () => {
    const h = new Headers();
    h.append("set-cookie", "a=1; Path=/");
    h.append("set-cookie", "b=2");
    h.append("vary", "accept");
    h.append("vary", "origin");
    const map = headersToMap(h);
    expect(map["set-cookie"]).toEqual(["a=1; Path=/", "b=2"]);
    expect(map["vary"]).toBe("accept, origin");
  });

  it("appends array values, skips undefined and the framing headers the runtime owns", () => {
    const h = mapToHeaders({
      "x-many": ["1", "2"],
      "x-none": undefined,
      "transfer-encoding": "chunked",
      connection: "keep-alive",
      "x-one": "v",
    });
    expect(h.get("x-many")).toBe("1, 2");
    expect(h.has("x-none")).toBe(false);
    expect(h.has("transfer-encoding")).toBe(false);
    expect(h.has("connection")).toBe(false);
    expect(h.get("x-one")).toBe("v");
  });
});

describe("toResponse", () => {
  it("turns string, byte and streamed bodies into a Response with status and headers", async () => {
    const text = toResponse({ status: 201, headers: { "x-a": "1" }, body: "created" }, "POST");
    expect(text.status).toBe(201);
    expect(text.headers.get("x-a")).toBe("1");
    expect(await text.text()).toBe("created");

    const bytes = toResponse({ status: 200, headers: {}, body: new TextEncoder().encode("raw") }, "GET");
    expect(await bytes.text()).toBe("raw");

    const streamed = toResponse(
      { status: 200, headers: { "content-length": "11" }, body: chunks("hello", " ", "world") },
      "GET",
    );
    expect(await streamed.text()).toBe("hello world");
  });

  it("fails the body when a stream is shorter than its declared Content-Length", async () => {
    const res = toResponse(
      { status: 200, headers: { "content-length": "20" }, body: chunks("short") },
      "GET",
    );
    await expect(res.text()).rejects.toThrow();
  });

  it("sends no body for HEAD, 204 and 304, and keeps the declared length on HEAD", async () => {
    const head = toResponse(
      { status: 200, headers: { "content-length": "42" }, body: chunks("x".repeat(42)) },
      "HEAD",
    );
    expect(head.body).toBeNull();
    expect(head.headers.get("content-length")).toBe("42");
    expect(toResponse({ status: 204, headers: {}, body: "ignored" }, "GET").body).toBeNull();
    expect(toResponse({ status: 304, headers: {}, body: null }, "GET").body).toBeNull();
  });

  it("drops trailers (a Worker cannot send them) and answers 502 for a status a Response cannot carry", async () => {
    const withTrailers = toResponse({
      status: 200,
      headers: { "content-type": "application/grpc" },
      body: "x",
      trailers: () => ({ "grpc-status": "0" }),
    }, "POST");
    expect(withTrailers.headers.has("grpc-status")).toBe(false);
    expect(await withTrailers.text()).toBe("x");
    expect(toResponse({ status: 101, headers: {}, body: null }, "GET").status).toBe(502);
  });
});
