// The control plane's Connect-RPC server: gRPC over h2c (sidecars, grpc-js) and Connect over HTTP/1.1, one port.
import { createServer as createHttp1Server } from "node:http";
import { constants, createServer as createHttp2Server, type Http2Session } from "node:http2";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { Code, ConnectError, type ConnectRouter, createConnectRouter } from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import { withResponseSplicing } from "../../control/xds/response-splice.ts";
import { withRequestNameSharing } from "../../control/xds/request-names.ts";

export interface ControlServerConfig {
  readonly host?: string;
  /** Default 15010 (Istio's plaintext xDS port); 0 picks a free port. */
  readonly port?: number;
  readonly routes: (router: ConnectRouter) => void;
}

export interface ControlServer {
  readonly port: number;
  /** Stops listening and ends every open connection (HTTP/2 sessions included). */
  close(): Promise<void>;
}

/** The HTTP/2 connection preface starts "PRI * HTTP/2.0"; no HTTP/1.1 request line does. */
const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n");

function isHttp2(chunk: Uint8Array): boolean {
  const n = Math.min(chunk.length, PREFACE.length);
  for (let i = 0; i < n; i++) if (chunk[i] !== PREFACE[i]) return false;
  return true;
}

type NodeRequestHandler = Parameters<typeof createHttp1Server>[1] & Parameters<typeof createHttp2Server>[1];

/**
 * connect-node's `connectNodeAdapter`, with each handler wrapped for response splicing (response-splice.ts: ADS
 * responses' shared resource bytes are written as they are, not copied into each proxy's envelope) and ADS
 * requests' long name lists decoded once per distinct list (request-names.ts).
 */
function connectHandler(routes: (router: ConnectRouter) => void): NodeRequestHandler {
  // Responses are never compressed (like istiod's gRPC server): grpc-js advertises gzip on every call, and
  // zipping each proxy's copy of a push costs more CPU than the loopback or cluster network saves. Splicing
  // relies on it. Compressed requests are still accepted.
  const router = createConnectRouter({
    acceptCompression: [compressionGzip, compressionBrotli],
    compressMinBytes: Number.MAX_SAFE_INTEGER,
  });
  routes(router);
  const paths = new Map(
    router.handlers.map((h) => [h.requestPath, withResponseSplicing(withRequestNameSharing(h))]),
  );
  return (req, res) => {
    const handler = paths.get(req.url?.split("?", 2)[0] ?? "");
    if (!handler) {
      res.writeHead(404);
      res.end();
      return;
    }
    handler(universalRequestFromNodeRequest(req, res, undefined, undefined))
      .then((response) => universalResponseToNodeResponse(response, res))
      .catch((reason) => {
        // The response could not be finished (trailers included): end the stream or connection, never leave
        // the client waiting on it.
        if ("stream" in res) res.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
        else res.destroy();
        if (ConnectError.from(reason).code === Code.Aborted) return;
        console.error(`weft control: ${handler.service.typeName}/${handler.method.name} failed:`, reason);
      });
  };
}

/**
 * Node 20's plaintext `http2.createServer` ignores `allowHTTP1` (it only works with TLS, through ALPN), so
 * the listener sniffs the first bytes: the HTTP/2 preface goes to the h2c server, anything else to HTTP/1.1.
 */
export async function startControlServer(config: ControlServerConfig): Promise<ControlServer> {
  const handler = connectHandler(config.routes);
  const h2 = createHttp2Server({}, handler);
  const h1 = createHttp1Server(handler);
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  h2.on("sessionError", () => {});
  const listener = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.once("readable", () => {
      const chunk: Uint8Array | null = socket.read();
      if (!chunk) return void socket.destroy();
      socket.unshift(chunk);
      (isHttp2(chunk) ? h2 : h1).emit("connection", socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(config.port ?? 15010, config.host ?? "127.0.0.1", () => {
      listener.off("error", reject);
      resolve();
    });
  });
  return {
    port: (listener.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close(() => resolve());
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      }),
  };
}
