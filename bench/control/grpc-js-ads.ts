// The simulated proxies' ADS transport on @grpc/grpc-js (the client proxyless gRPC uses), responses read lean.
//
// Connect's client reassembles a message from HTTP/2 DATA frames by concatenating every chunk onto what it has
// (envelope.js `cons`): a 470 KB RouteConfiguration arriving in 16 KB frames is copied ~30 times, and with 500
// proxies that, not the control plane, dominated the simulator's CPU. grpc-js frames messages with one copy.
// Requests are the real DiscoveryRequest messages; responses use the lean descriptors of lean-ads.ts.
import * as grpc from "@grpc/grpc-js";
import { leanAdsClient, type OpenAdsStream, SERVICE_PATH } from "./ads-codec.ts";
import type { LeanAdsClient } from "./lean-ads.ts";

export interface GrpcJsAdsOptions {
  /** HTTP/2 stream and connection window (bytes). */
  readonly window: number;
}

/** One client = one HTTP/2 connection (a local subchannel pool: channels never share connections). */
export function createGrpcJsLeanAdsClient(address: string, options: GrpcJsAdsOptions): LeanAdsClient {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
    "grpc-node.flow_control_window": options.window,
    "grpc.max_receive_message_length": -1,
    "grpc.max_send_message_length": -1,
  });

  const open: OpenAdsStream = (method, serialize, decode, onResponse, onError) => {
    // grpc-js hands over each message whole, joined into one buffer.
    const deserialize = (b: Buffer) => decode([b], b.length);
    const call = client.makeBidiStreamRequest(`${SERVICE_PATH}/${method}`, serialize, deserialize);
    let closed = false;
    call.on("data", onResponse);
    call.on("error", (err) => {
      if (!closed) onError(err);
    });
    return {
      send: (r) => call.write(r),
      close() {
        closed = true;
        call.end();
        call.cancel();
      },
    };
  };

  const ready = () =>
    new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + 60_000, (err) => (err ? reject(err) : resolve()))
    );
  return leanAdsClient(ready, open, false);
}
