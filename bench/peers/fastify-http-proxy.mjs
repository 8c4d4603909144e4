// Peer: @fastify/http-proxy 11.6.3 on fastify 5.12.8 (undici upstream via @fastify/reply-from). Usage: <listenPort> <upstreamPort>
import Fastify from "fastify";
import proxy from "@fastify/http-proxy";
import { watchParent } from "./watch-parent.mjs";

const [port, upstreamPort] = process.argv.slice(2).map(Number);
const app = Fastify({ logger: false, keepAliveTimeout: 120_000 });
await app.register(proxy, { upstream: `http://127.0.0.1:${upstreamPort}`, prefix: "/" });
await app.listen({ port, host: "127.0.0.1" });
console.log(`ready ${port}`);
watchParent();
