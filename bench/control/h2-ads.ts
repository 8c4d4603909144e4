// The simulated proxies' ADS transport straight on node:http2 (nghttp2), as Envoy's own gRPC client is on its
// HTTP/2 codec: one connection per client, gRPC's framing here (ads-codec.ts), responses read lean.
//
// grpc-js joins every message's DATA chunks into a new buffer (1 MB for a sidecar's CDS + RDS): with 500
// proxies that doubled the simulator's external memory, whose growth starts a full GC every 64 MB, and the
// copies and GCs made the simulator the bottleneck of a first push. Here a message stays the pieces it
// arrived in unless its content is new (memoByPieces).
import { type ClientHttp2Session, connect, constants } from "node:http2";
import { leanAdsClient, MessageReader, type OpenAdsStream, SERVICE_PATH } from "./ads-codec.ts";
import type { LeanAdsClient } from "./lean-ads.ts";

/** One client = one HTTP/2 connection with `window`-byte stream and connection flow-control windows. */
export function createH2LeanAdsClient(address: string, window: number): LeanAdsClient {
  const session: ClientHttp2Session = connect(`http://${address}`, {
    settings: { initialWindowSize: window },
  });
  const connected = new Promise<void>((resolve, reject) => {
    session.once("connect", () => {
      session.setLocalWindowSize(window);
      resolve();
    });
    session.once("error", reject);
    session.once("close", () => reject(new Error(`connection to ${address} closed before it was up`)));
  });
  // After connecting, a session error reaches every stream as a stream error.
  session.on("error", () => {});

  const open: OpenAdsStream = (method, serialize, decode, onResponse, onError) => {
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_PATH]: `${SERVICE_PATH}/${method}`,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc+proto",
      te: "trailers",
      "grpc-accept-encoding": "identity",
    });
    let closed = false;
    /** The stream failed: reported once, and nothing read from it afterwards. */
    const fail = (err: unknown) => {
      if (closed) return;
      closed = true;
      stream.close(constants.NGHTTP2_CANCEL);
      onError(err);
    };
    // Framing errors fail the stream; an exception in the simulator's own handling is a bug and is thrown.
    const messages: [readonly Buffer[], number][] = [];
    const reader = new MessageReader((pieces, length) => messages.push([pieces, length]));
    stream.on("data", (chunk: Buffer) => {
      if (closed) return;
      try {
        reader.push(chunk);
      } catch (err) {
        messages.length = 0;
        return fail(err);
      }
      for (const [pieces, length] of messages.splice(0)) onResponse(decode(pieces, length));
    });
    // grpc-status comes in the trailers, or in the headers of a response without a body.
    const status = (headers: Record<string, unknown>) => {
      const code = headers["grpc-status"];
      if (code !== undefined && code !== "0") {
        fail(new Error(`grpc-status ${code}: ${headers["grpc-message"] ?? ""}`));
      }
    };
    stream.on("response", status);
    stream.on("trailers", status);
    stream.on("error", fail);
    stream.on("close", () => fail(new Error(`stream closed (code ${stream.rstCode})`)));
    return {
      send: (r) => stream.write(serialize(r)),
      close() {
        closed = true;
        stream.close(constants.NGHTTP2_CANCEL);
      },
    };
  };

  return leanAdsClient(() => connected, open, true);
}
