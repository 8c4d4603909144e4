// Peer: fast-proxy 2.2.0 on node:http, undici pool to the upstream (its fastest mode). Usage: <listenPort> <upstreamPort>
import { createServer } from "node:http";
import fastProxy from "fast-proxy";
import { watchParent } from "./watch-parent.mjs";

const [port, upstreamPort] = process.argv.slice(2).map(Number);
const { proxy } = fastProxy({
  base: `http://127.0.0.1:${upstreamPort}`,
  undici: { connections: 128, pipelining: 1 },
});
const server = createServer((req, res) => proxy(req, res, req.url, {}));
server.keepAliveTimeout = 120_000;
server.listen(port, "127.0.0.1", () => console.log(`ready ${port}`));
watchParent();
