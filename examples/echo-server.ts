// A tiny example upstream: answers every request with JSON describing what it received.
import { createServer, type Server } from "node:http";

export function startEchoServer(name: string, port: number, host = "127.0.0.1"): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.stringify(
        {
          service: name,
          method: req.method,
          path: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8") || undefined,
        },
        null,
        2,
      ) + "\n";
      res.writeHead(200, { "content-type": "application/json", "x-upstream": name });
      res.end(body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
