// HTTP/1.1 Upgrade (WebSocket) to an upstream: node:http's upgrade handshake, then the raw socket.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import type { Connection } from "../../proxy/runtime/types.ts";
import type { UpstreamPoolOptions, UpstreamRequest, UpstreamResponse } from "../../proxy/http/types.ts";
import { wrapSocket } from "./connection.ts";
import { toUpstreamError } from "./upstream-errors.ts";
import { tlsConnectOptions } from "./tls-options.ts";

export function upgradeUpstream(
  options: UpstreamPoolOptions,
  req: UpstreamRequest,
): Promise<{ response: UpstreamResponse; connection: Connection | null }> {
  const target = `${options.host}:${options.port}`;
  return new Promise((resolve, reject) => {
    const make = options.tls ? httpsRequest : httpRequest;
    const outgoing = make({
      host: options.host,
      port: options.port,
      method: req.method,
      path: req.path,
      headers: req.headers as Record<string, string | string[]>,
      agent: false,
      timeout: options.connectTimeoutMs,
      ...(options.tls ? tlsConnectOptions(options.tls) : {}),
    });
    outgoing.once("upgrade", (res, socket: Socket, head: Buffer) => {
      if (head.length) socket.unshift(head);
      socket.setTimeout(0);
      resolve({
        response: { status: res.statusCode ?? 101, headers: res.headers, body: null },
        connection: wrapSocket(socket),
      });
    });
    outgoing.once("response", (res) => {
      resolve({
        response: { status: res.statusCode ?? 502, headers: res.headers, body: res },
        connection: null,
      });
    });
    outgoing.once(
      "timeout",
      () => outgoing.destroy(Object.assign(new Error("connect timeout"), { code: "ETIMEDOUT" })),
    );
    outgoing.once("error", (err) => reject(toUpstreamError(err, target)));
    outgoing.end();
  });
}
