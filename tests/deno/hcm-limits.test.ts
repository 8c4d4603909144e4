// HCM limits on Deno listeners (adapters/deno/hcm-limits.ts, stream-idle.ts): 431s, stream idle timeout, load-time warnings.
import { createConfigRegistry, createProxy, loadBootstrap, type Proxy } from "../../mod.ts";
import { createDenoRuntime } from "../../adapters/deno/mod.ts";
import { assert } from "../conformance/case-api.ts";
import { httpBootstrap, routeConfig, staticCluster } from "../conformance/bootstrap.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function start(yaml: string, log: (line: string) => void = () => {}): Promise<Proxy> {
  return await createProxy({
    runtime: createDenoRuntime({ log }),
    bootstrap: loadBootstrap(yaml, "limits.yaml", createConfigRegistry()),
  });
}

const toWeb = routeConfig(`- { match: { prefix: / }, route: { cluster: web } }`);

/** A raw TCP upstream: reads the request head, writes `head` (if any), then `chunks` every `everyMs`, then holds. */
function rawUpstream(head: string, chunks: string[] = [], everyMs = 0) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedByProxy: Promise<void>[] = [];
  (async () => {
    for await (const c of listener) {
      const done = Promise.withResolvers<void>();
      closedByProxy.push(done.promise);
      (async () => {
        const buf = new Uint8Array(8192);
        await c.read(buf);
        const enc = new TextEncoder();
        if (head) await c.write(enc.encode(head));
        for (const chunk of chunks) {
          await new Promise((r) => setTimeout(r, everyMs));
          await c.write(enc.encode(`${chunk.length.toString(16)}\r\n${chunk}\r\n`));
        }
        if (chunks.length) await c.write(enc.encode("0\r\n\r\n"));
        // Hold the connection until the proxy goes away.
        while ((await c.read(buf).catch(() => null)) !== null) { /* discard */ }
        done.resolve();
        c.close();
      })().catch(() => done.resolve());
    }
  })().catch(() => {});
  return { port: listener.addr.port, closedByProxy, close: () => listener.close() };
}

/** Writes `request` to the port and reads until the server closes. */
async function rawExchange(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(request));
  let text = "";
  const buf = new Uint8Array(16 * 1024);
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return text;
}

function dechunk(body: string): string {
  let out = "";
  for (let rest = body;;) {
    const eol = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 4 + size);
  }
}

Deno.test({
  name: "max_request_headers_kb / max_headers_count: within passes, beyond is 431 (as on Node)",
  ...opts,
  fn: async () => {
    const seen: string[] = [];
    const web = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      seen.push(new URL(req.url).pathname);
      return new Response("web");
    });
    const proxy = await start(httpBootstrap({
      routes: toWeb,
      clusters: staticCluster("web", [web.addr.port]),
      hcmExtra: "max_request_headers_kb: 8\ncommon_http_protocol_options: { max_headers_count: 20 }",
    }));
    const port = proxy.listeners[0].port;
    const headers = (n: number) => Array.from({ length: n }, (_, i) => `x-h${i}: v${i}\r\n`).join("");
    /** One raw HTTP/1.1 request (host and connection count as headers, as on Node): "<status> <body>". */
    const get = async (path: string, extra: string) => {
      const text = await rawExchange(
        port,
        `GET ${path} HTTP/1.1\r\nhost: a\r\nconnection: close\r\n${extra}\r\n`,
      );
      const [head, body] = text.split("\r\n\r\n");
      return `${head.split(" ")[1]} ${/transfer-encoding: chunked/i.test(head) ? dechunk(body) : body}`;
    };
    try {
      assert.equal(await get("/big-ok", `x-big: ${"a".repeat(7000)}\r\n`), "200 web", "7000-byte header");
      assert.equal(
        await get("/big", `x-big: ${"a".repeat(9000)}\r\n`),
        "431 request headers too large\n",
        "9000-byte header",
      );
      assert.equal(await get("/many-ok", headers(18)), "200 web", "exactly max_headers_count (20) headers");
      assert.equal(await get("/many", headers(19)), "431 too many request headers\n", "one more");
      assert.deepEqual(seen, ["/big-ok", "/many-ok"], "rejected requests never reach the upstream");
      assert.equal(proxy.stats.counter("http.conf.downstream_rq_total").value, 2, "nor the core");
    } finally {
      await proxy.drain(50);
      await web.shutdown();
    }
  },
});

Deno.test({
  name: "stream_idle_timeout: 408 while waiting for the response; a stalled response body is reset",
  ...opts,
  fn: async () => {
    const silent = rawUpstream("");
    const stalls = rawUpstream("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n");
    const routes = routeConfig(`
- { match: { prefix: /silent }, route: { cluster: silent } }
- { match: { prefix: /stalls }, route: { cluster: stalls } }`);
    const proxy = await start(httpBootstrap({
      routes,
      clusters: staticCluster("silent", [silent.port]) + staticCluster("stalls", [stalls.port]),
      hcmExtra: "stream_idle_timeout: 0.3s",
    }));
    const url = `http://127.0.0.1:${proxy.listeners[0].port}`;
    try {
      const res = await fetch(`${url}/silent`);
      assert.equal(`${res.status} ${await res.text()}`, "408 stream timeout\n", "idle before the response");
      await silent.closedByProxy[0];

      const streaming = await fetch(`${url}/stalls`);
      assert.equal(streaming.status, 200, "the response started");
      const reader = streaming.body!.getReader();
      const first = await reader.read();
      assert.equal(new TextDecoder().decode(first.value), "hello", "first chunk");
      let reset = false;
      // Without the timeout the body would never end: give up after 5 s (and fail).
      const deadline = setTimeout(() => reader.cancel().catch(() => {}), 5000);
      try {
        while (!(await reader.read()).done) { /* more */ }
      } catch {
        reset = true;
      }
      clearTimeout(deadline);
      assert.ok(reset, "the stalled response is reset, not ended cleanly");
      await stalls.closedByProxy[0];
    } finally {
      await proxy.drain(50);
      silent.close();
      stalls.close();
    }
  },
});

Deno.test({
  name:
    "stream_idle_timeout: a small response (content-length ≤ 16 KiB, passed through unwatched) that stalls is reset",
  ...opts,
  fn: async () => {
    // Declares 10 bytes, sends 5, then nothing. Deno.serve would pass a fetch() body on natively (faster, but then
    // nothing can end it: aborting the fetch does not reach the response), so it is watched like any other.
    const stalls = rawUpstream("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello");
    const whole = rawUpstream("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhelloworld");
    const routes = routeConfig(`
- { match: { prefix: /stalls }, route: { cluster: stalls } }
- { match: { prefix: /whole }, route: { cluster: whole } }`);
    const proxy = await start(httpBootstrap({
      routes,
      clusters: staticCluster("stalls", [stalls.port]) + staticCluster("whole", [whole.port]),
      hcmExtra: "stream_idle_timeout: 0.3s",
    }));
    const url = `http://127.0.0.1:${proxy.listeners[0].port}`;
    try {
      const started = performance.now();
      const res = await fetch(`${url}/stalls`);
      assert.equal(res.status, 200, "the response started");
      let reset = false;
      const reader = res.body!.getReader();
      const deadline = setTimeout(() => reader.cancel().catch(() => {}), 5000);
      try {
        while (!(await reader.read()).done) { /* the 5 bytes */ }
      } catch {
        reset = true;
      }
      clearTimeout(deadline);
      assert.ok(reset, "the stalled response is reset, not ended cleanly");
      assert.ok(performance.now() - started < 3000, "by the timeout, not by the test's 5 s deadline");
      await stalls.closedByProxy[0];
      const ok = await fetch(`${url}/whole`);
      assert.equal(`${ok.status} ${await ok.text()}`, "200 helloworld", "a body sent in time is passed on");
    } finally {
      await proxy.drain(50);
      stalls.close();
      whole.close();
    }
  },
});

Deno.test({
  name: "stream_idle_timeout: a response that keeps sending outlives it",
  ...opts,
  fn: async () => {
    const chunks = Array.from({ length: 12 }, (_, i) => `c${i}`);
    const slow = rawUpstream("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", chunks, 100);
    const proxy = await start(httpBootstrap({
      routes: toWeb,
      clusters: staticCluster("web", [slow.port]),
      hcmExtra: "stream_idle_timeout: 0.6s",
    }));
    try {
      const res = await fetch(`http://127.0.0.1:${proxy.listeners[0].port}/slow`);
      assert.equal(await res.text(), chunks.join(""), "1.2 s of chunks 100 ms apart, timeout 0.6 s");
    } finally {
      await proxy.drain(50);
      slow.close();
    }
  },
});

Deno.test({
  name: "HCM settings Deno cannot apply are logged once at load, naming the listener and the field",
  ...opts,
  fn: async () => {
    const lines: string[] = [];
    const proxy = await start(
      httpBootstrap({
        routes: toWeb,
        clusters: staticCluster("web", [1]),
        hcmExtra: "request_headers_timeout: 5s\nmax_request_headers_kb: 96\n" +
          "common_http_protocol_options: { idle_timeout: 30s, max_headers_count: 200 }",
      }),
      (line) => lines.push(line),
    );
    const quiet: string[] = [];
    const defaults = await start(
      httpBootstrap({ routes: toWeb, clusters: staticCluster("web", [1]) }),
      (line) => quiet.push(line),
    );
    try {
      const fields = [
        "request_headers_timeout",
        "idle_timeout",
        "max_request_headers_kb",
        "max_headers_count",
      ];
      assert.equal(lines.length, fields.length, `one line per field: ${lines.join(" | ")}`);
      const prefix = "weft: listener conformance (127.0.0.1:0): ";
      fields.forEach((field, i) => {
        assert.ok(lines[i].startsWith(prefix) && lines[i].includes(field), `${field}: ${lines[i]}`);
      });
      assert.match(
        lines[0],
        /not applied on the deno runtime \(Deno\.serve hands a request over only once/,
        "why",
      );
      assert.deepEqual(quiet, [], "nothing to say about a default HCM");
    } finally {
      await Promise.all([proxy.drain(50), defaults.drain(50)]);
    }
  },
});
