// Benchmark upstream: a minimal keep-alive node:http server (and an h2c server) returning a fixed 100-byte body.
import { createServer } from "node:http";
import { createServer as createH2Server } from "node:http2";
import { watchParent } from "./peers/watch-parent.mjs";

const BODY = Buffer.from("x".repeat(99) + "\n");
const HEADERS = { "content-type": "text/plain", "content-length": String(BODY.length) };

const h1 = createServer((req, res) => {
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
h1.keepAliveTimeout = 120_000;
h1.headersTimeout = 121_000;
h1.requestTimeout = 0;

const h2 = createH2Server({ maxSessionMemory: 64 }, (req, res) => {
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});

const port = Number(process.argv[2] ?? 0);
const h2Port = Number(process.argv[3] ?? 0);
h1.listen(port, "127.0.0.1", () => {
  h2.listen(h2Port, "127.0.0.1", () => {
    console.log(`ready ${h1.address().port} ${h2.address().port}`);
  });
});
watchParent();
