// The simulated proxies' ADS transport on @grpc/grpc-js (the client proxyless gRPC uses), responses read lean.
//
// Connect's client reassembles a message from HTTP/2 DATA frames by concatenating every chunk onto what it has
// (envelope.js `cons`): a 470 KB RouteConfiguration arriving in 16 KB frames is copied ~30 times, and with 500
// proxies that, not the control plane, dominated the simulator's CPU. grpc-js frames messages with one copy.
// Requests are the real DiscoveryRequest messages; responses use the lean descriptors of lean-ads.ts.
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  type DeltaDiscoveryRequest,
  DeltaDiscoveryRequestSchema,
  type DiscoveryRequest,
  DiscoveryRequestSchema,
} from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import {
  type AdsStream,
  type LeanAdsClient,
  LeanAdsService,
  type LeanDeltaResponse,
  type LeanResponse,
} from "./lean-ads.ts";
import { memoByBytes, memoByKey, type MemoStats } from "./response-memo.ts";

const SERVICE = "/envoy.service.discovery.v3.AggregatedDiscoveryService";

export interface GrpcJsAdsOptions {
  /** HTTP/2 stream and connection window (bytes). */
  readonly window: number;
}

/** How many responses were decoded, and how many were equal to an earlier one (shared by all clients). */
export const decodeStats: MemoStats = { hits: 0, misses: 0 };
const decodeSotw = memoByBytes(
  (b) => fromBinary(LeanAdsService.method.streamAggregatedResources.output, b) as unknown as LeanResponse,
  decodeStats,
);
const decodeDelta = memoByBytes(
  (b) => fromBinary(LeanAdsService.method.deltaAggregatedResources.output, b) as unknown as LeanDeltaResponse,
  decodeStats,
);

const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
/** Requests naming this many resources are worth a content key (see memoByKey). */
const LARGE = 64;
const list = (names: readonly string[]) => names.join("\u0001");
const encodeSotw = memoByKey(
  (r: DiscoveryRequest) => bytes(toBinary(DiscoveryRequestSchema, r)),
  (r) =>
    r.node === undefined && r.errorDetail === undefined && r.resourceNames.length >= LARGE
      ? [r.typeUrl, r.versionInfo, r.responseNonce, list(r.resourceNames)].join("\u0000")
      : undefined,
);
const encodeDelta = memoByKey(
  (r: DeltaDiscoveryRequest) => bytes(toBinary(DeltaDiscoveryRequestSchema, r)),
  (r) =>
    r.node === undefined && r.errorDetail === undefined && r.responseNonce === "" &&
      Object.keys(r.initialResourceVersions).length === 0 &&
      r.resourceNamesSubscribe.length + r.resourceNamesUnsubscribe.length >= LARGE
      ? [r.typeUrl, list(r.resourceNamesSubscribe), list(r.resourceNamesUnsubscribe)].join("\u0000")
      : undefined,
);

/** One client = one HTTP/2 connection (a local subchannel pool: channels never share connections). */
export function createGrpcJsLeanAdsClient(address: string, options: GrpcJsAdsOptions): LeanAdsClient {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
    "grpc-node.flow_control_window": options.window,
    "grpc.max_receive_message_length": -1,
    "grpc.max_send_message_length": -1,
  });

  function open<Req, Res>(
    method: string,
    serialize: (r: Req) => Buffer,
    deserialize: (b: Buffer) => Res,
    onResponse: (r: Res) => void,
    onError: (err: unknown) => void,
  ): AdsStream<Req> {
    const call = client.makeBidiStreamRequest(`${SERVICE}/${method}`, serialize, deserialize);
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
  }

  return {
    ready: () =>
      new Promise<void>((resolve, reject) =>
        client.waitForReady(Date.now() + 60_000, (err) => (err ? reject(err) : resolve()))
      ),
    openSotw: (onResponse, onError) =>
      open<DiscoveryRequest, LeanResponse>(
        "StreamAggregatedResources",
        encodeSotw,
        decodeSotw,
        onResponse,
        onError,
      ),
    openDelta: (onResponse, onError) =>
      open<DeltaDiscoveryRequest, LeanDeltaResponse>(
        "DeltaAggregatedResources",
        encodeDelta,
        decodeDelta,
        onResponse,
        onError,
      ),
  };
}
