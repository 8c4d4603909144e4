// Reference, not a peer: the least a proxy built from Weft's parts (node:http / node:http2 servers, undici's
// Pool.dispatch upstream) can do per request — no routing, stats, headers or error handling. It shows how much of
// Weft's cost is its own and how much the parts'. Usage: <listenPort> <upstreamPort> <h2ListenPort> [heapModule]
// With heapModule (Weft's adapters/node/proxy-v8-flags.ts, bundled), the heap is managed as `weft proxy` does.
import { createServer } from "node:http";
import { createServer as createH2Server } from "node:http2";
import { pathToFileURL } from "node:url";
import { Pool } from "undici";
import { watchParent } from "./watch-parent.mjs";

const [port, upstreamPort, h2Port] = process.argv.slice(2, 5).map(Number);
const heap = process.argv[5] ? await import(pathToFileURL(process.argv[5]).href) : undefined;
heap?.applyProxyV8Flags();
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 128, pipelining: 1 });

/** undici's dispatch handler: collects the response and hands it to `done(status, headers, body)`. */
class Collect {
  constructor(done) {
    this.done = done;
    this.chunks = [];
  }
  onConnect() {}
  onError(err) {
    this.done(502, [], Buffer.from(String(err)));
  }
  onHeaders(status, rawHeaders) {
    this.status = status;
    this.rawHeaders = rawHeaders;
    return true;
  }
  onData(chunk) {
    this.chunks.push(chunk);
    return true;
  }
  onComplete() {
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.done(this.status, this.rawHeaders, body);
  }
}

/** Upstream response headers as an object, minus the hop-by-hop ones. */
function headersOf(raw, h2) {
  const out = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString("latin1").toLowerCase();
    if (name === "connection" || name === "keep-alive" || name === "transfer-encoding") continue;
    if (h2 && name === "content-length") continue;
    out[name] = raw[i + 1].toString("latin1");
  }
  return out;
}

createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  pool.dispatch(
    { method: req.method, path: req.url, headers: req.headers, body: null },
    new Collect((status, raw, body) => {
      res.writeHead(status, headersOf(raw, false));
      res.end(body);
    }),
  );
}).listen(port, "127.0.0.1", () => {
  createH2Server().on("stream", (stream, headers) => {
    const { ":method": method, ":path": path, ":authority": host } = headers;
    pool.dispatch(
      { method, path, headers: { host }, body: null },
      new Collect((status, raw, body) => {
        if (stream.destroyed) return;
        stream.respond({ ":status": status, ...headersOf(raw, true) });
        stream.end(body);
      }),
    );
  }).listen(h2Port, "127.0.0.1", () => {
    heap?.settleProxyHeap();
    console.log(`ready ${port}`);
  });
});
watchParent();
