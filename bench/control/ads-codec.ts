// What the simulated proxies' ADS transports share: responses decoded lean once per distinct content, large
// requests encoded once per content (response-memo.ts), and gRPC's message framing for the node:http2 transport.
import { fromBinary, toBinary } from "@bufbuild/protobuf";
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
import { memoByKey, memoByPieces, type MemoStats } from "./response-memo.ts";

export const SERVICE_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService";

/** How many responses were decoded, and how many were equal to an earlier one (shared by all clients). */
export const decodeStats: MemoStats = { hits: 0, misses: 0 };

/** A SotW response from the pieces its bytes arrived in. */
const decodeSotw = memoByPieces(
  (b) => fromBinary(LeanAdsService.method.streamAggregatedResources.output, b) as unknown as LeanResponse,
  decodeStats,
);
/** A delta response from the pieces its bytes arrived in. */
const decodeDelta = memoByPieces(
  (b) => fromBinary(LeanAdsService.method.deltaAggregatedResources.output, b) as unknown as LeanDeltaResponse,
  decodeStats,
);

/** Requests naming this many resources are worth a content key (see memoByKey). */
const LARGE = 64;
const list = (names: readonly string[]) => names.join("\u0001");

const sotwKey = (r: DiscoveryRequest) =>
  r.node === undefined && r.errorDetail === undefined && r.resourceNames.length >= LARGE
    ? [r.typeUrl, r.versionInfo, r.responseNonce, list(r.resourceNames)].join("\u0000")
    : undefined;
const deltaKey = (r: DeltaDiscoveryRequest) =>
  r.node === undefined && r.errorDetail === undefined && r.responseNonce === "" &&
    Object.keys(r.initialResourceVersions).length === 0 &&
    r.resourceNamesSubscribe.length + r.resourceNamesUnsubscribe.length >= LARGE
    ? [r.typeUrl, list(r.resourceNamesSubscribe), list(r.resourceNamesUnsubscribe)].join("\u0000")
    : undefined;

/** The message, or (`framed`) the message as one gRPC length-prefixed frame: flag 0 (uncompressed), length. */
const encoded = (bytes: Uint8Array, framed: boolean): Buffer => {
  if (!framed) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = Buffer.allocUnsafe(5 + bytes.length);
  out[0] = 0;
  out.writeUInt32BE(bytes.length, 1);
  out.set(bytes, 5);
  return out;
};

/** Request encoders, memoized by content for large requests; `framed` for a transport that frames itself. */
function requestEncoders(framed: boolean) {
  return {
    sotw: memoByKey((r: DiscoveryRequest) => encoded(toBinary(DiscoveryRequestSchema, r), framed), sotwKey),
    delta: memoByKey(
      (r: DeltaDiscoveryRequest) => encoded(toBinary(DeltaDiscoveryRequestSchema, r), framed),
      deltaKey,
    ),
  };
}

const encoders = { plain: requestEncoders(false), framed: requestEncoders(true) };

/** How a transport opens one ADS stream: the method's name, its request encoder and response decoder. */
export type OpenAdsStream = <Req, Res>(
  method: string,
  serialize: (r: Req) => Buffer,
  decode: (pieces: readonly Buffer[], length: number) => Res,
  onResponse: (r: Res) => void,
  onError: (err: unknown) => void,
) => AdsStream<Req>;

/** A LeanAdsClient on a transport; `framed` when the transport writes requests' gRPC frames as given. */
export function leanAdsClient(
  ready: () => Promise<void>,
  open: OpenAdsStream,
  framed: boolean,
): LeanAdsClient {
  const encode = framed ? encoders.framed : encoders.plain;
  return {
    ready,
    openSotw: (onResponse, onError) =>
      open<DiscoveryRequest, LeanResponse>(
        "StreamAggregatedResources",
        encode.sotw,
        decodeSotw,
        onResponse,
        onError,
      ),
    openDelta: (onResponse, onError) =>
      open<DeltaDiscoveryRequest, LeanDeltaResponse>(
        "DeltaAggregatedResources",
        encode.delta,
        decodeDelta,
        onResponse,
        onError,
      ),
  };
}

/**
 * Splits a gRPC response body into messages. A message that spans DATA chunks is handed over as the pieces it
 * arrived in (no copy); a compressed one is an error (the simulator asks for identity).
 */
export class MessageReader {
  readonly #prefix = Buffer.alloc(5);
  #prefixHave = 0;
  /** Bytes of the current message still to come; -1 while reading a prefix. */
  #remaining = -1;
  #length = 0;
  #pieces: Buffer[] = [];

  constructor(private readonly onMessage: (pieces: readonly Buffer[], length: number) => void) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining < 0) {
        const take = Math.min(5 - this.#prefixHave, chunk.length - at);
        chunk.copy(this.#prefix, this.#prefixHave, at, at + take);
        this.#prefixHave += take;
        at += take;
        if (this.#prefixHave < 5) return;
        if (this.#prefix[0] !== 0) {
          throw new Error(`gRPC message flag ${this.#prefix[0]}: compressed, not asked for`);
        }
        this.#prefixHave = 0;
        this.#length = this.#remaining = this.#prefix.readUInt32BE(1);
        if (this.#remaining === 0) this.#done();
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - at);
      this.#pieces.push(at === 0 && take === chunk.length ? chunk : chunk.subarray(at, at + take));
      at += take;
      this.#remaining -= take;
      if (this.#remaining === 0) this.#done();
    }
  }

  #done() {
    const pieces = this.#pieces;
    this.#pieces = [];
    this.#remaining = -1;
    this.onMessage(pieces, this.#length);
  }
}
