// Serves a Worker module in workerd through Miniflare: the built edge gateway, or the pass-through floor.
// Usage: node bench/runtimes/workerd-peer.mjs <port> <worker.js> <bindings.json>; prints "ready <port>".
// workerd listens on the port itself (no Node proxy in front); it is this process's child, so it inherits its
// CPU affinity (taskset) and is disposed of on SIGTERM or when the bench that started this process is gone.
import { readFileSync } from "node:fs";
import { Miniflare } from "miniflare";

const [portArg, script, bindingsFile] = process.argv.slice(2);
const parent = process.ppid;
const mf = new Miniflare({
  modules: true,
  scriptPath: script,
  compatibilityDate: "2025-09-01",
  host: "127.0.0.1",
  port: Number(portArg),
  cf: false,
  bindings: JSON.parse(readFileSync(bindingsFile, "utf8")),
});
const url = await mf.ready;
console.log(`ready ${url.port}`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await mf.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setInterval(() => {
  if (process.ppid !== parent) void stop();
}, 1000).unref();
