// The conformance upstream: a Node child process every runtime's harness starts; prints its ports as JSON.
//
//   node --import tsx tests/conformance/upstream-server.ts
//   → {"ports":[a,b,c],"closedPort":d}
//
// Three HTTP/1.1 ports with the same behaviours (so clusters can be told apart by port) and one port
// that nobody listens on (support/closed-port.ts: connect failures). Behaviours, by path:
//   /echo…               200 JSON { method, path, headers, body, port }; response header x-remove-me: yes
//   /status/<code>       that status (3xx with location: /moved), body "status <code>"
//   /fail/<key>/<n>      503 for the first n requests with this key, then 200 JSON { attempt }
//   /delay/<ms>          waits, then 200 "slept <ms>"
//   /bytes/<n>           200 with n bytes ("0123456789" repeated), streamed in 16 KiB chunks, no content-length
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { closedPort } from "../support/closed-port.ts";

const failures = new Map<string, number>();

function handle(req: IncomingMessage, res: ServerResponse, body: string) {
  const url = new URL(req.url ?? "/", "http://upstream");
  const parts = url.pathname.split("/").filter(Boolean);
  const port = (req.socket.address() as AddressInfo).port;
  const send = (status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "text/plain", "x-upstream-port": String(port), ...headers });
    res.end(text);
  };
  switch (parts[0]) {
    case "status": {
      const code = Number(parts[1]);
      const location: Record<string, string> = code >= 300 && code < 400 ? { location: "/moved" } : {};
      return send(code, code === 204 || code === 304 ? "" : `status ${code}`, location);
    }
    case "fail": {
      const key = parts[1], n = Number(parts[2]);
      const attempt = (failures.get(key) ?? 0) + 1;
      failures.set(key, attempt);
      if (attempt <= n) return send(503, `failure ${attempt} of ${n}`);
      return send(200, JSON.stringify({ attempt }), { "content-type": "application/json" });
    }
    case "delay": {
      const timer = setTimeout(() => send(200, `slept ${parts[1]}`), Number(parts[1]));
      res.once("close", () => clearTimeout(timer));
      return;
    }
    case "bytes": {
      res.writeHead(200, { "content-type": "application/octet-stream", "x-upstream-port": String(port) });
      return streamBytes(res, Number(parts[1]));
    }
    default: {
      const json = JSON.stringify({ method: req.method, path: req.url, headers: req.headers, body, port });
      return send(200, json, { "content-type": "application/json", "x-remove-me": "yes" });
    }
  }
}

function streamBytes(res: ServerResponse, total: number) {
  const chunk = Buffer.from("0123456789".repeat(1639).slice(0, 16384));
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
}

async function listen(): Promise<number> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(chunks).toString()));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const ports = [await listen(), await listen(), await listen()];
process.stdout.write(JSON.stringify({ ports, closedPort: await closedPort() }) + "\n");
// The harness that started us closes stdin when it is done (or dies): exit then.
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
