// The Connect transport a Node proxy uses to reach its ADS server: gRPC over HTTP/2 (h2c).
import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

export function createXdsTransport(target: { host: string; port: number }): Transport {
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  return createGrpcTransport({ baseUrl: `http://${host}:${target.port}` });
}
