// Peer: http-proxy 1.18.1 in front of the upstream, keep-alive agent to the upstream. Usage: <listenPort> <upstreamPort>
import { Agent, createServer } from "node:http";
import httpProxy from "http-proxy";
import { watchParent } from "./watch-parent.mjs";

const [port, upstreamPort] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: 128 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${upstreamPort}`, agent });
proxy.on("error", (_err, _req, res) => {
  if (!res.headersSent) res.writeHead(502);
  res.end();
});
const server = createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 120_000;
server.listen(port, "127.0.0.1", () => console.log(`ready ${port}`));
watchParent();
