// A lean view of the ADS service for the simulated proxies: same wire format, responses decoded one level deep.
//
// 500 simulated proxies receive hundreds of MB of xDS; decoding every Cluster/Listener/Any into objects made the
// client process, not the control plane, the bottleneck. These descriptors declare the same gRPC service
// (same package, service and method names, so the same paths) and the real DiscoveryRequest types, but read
// responses with `resources` as raw bytes: the simulators scan the few fields they need (wire.ts).
import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { DescService } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { createClient, type Transport } from "@connectrpc/connect";
import {
  type DeltaDiscoveryRequest,
  type DiscoveryRequest,
  file_envoy_service_discovery_v3_discovery,
} from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";

/** DiscoveryResponse with each resource left as the bytes of its google.protobuf.Any. */
export interface LeanResponse {
  readonly versionInfo: string;
  readonly resources: Uint8Array[];
  readonly typeUrl: string;
  readonly nonce: string;
}

/** DeltaDiscoveryResponse with each resource left as the bytes of its envoy Resource. */
export interface LeanDeltaResponse {
  readonly systemVersionInfo: string;
  readonly resources: Uint8Array[];
  readonly typeUrl: string;
  readonly nonce: string;
  readonly removedResources: string[];
}

const PKG = "envoy.service.discovery.v3";

const field = (name: string, number: number, type: Type, repeated = false) => ({
  name,
  number,
  type,
  label: repeated ? Label.REPEATED : Label.OPTIONAL,
  jsonName: name.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase()),
});

const file = create(FileDescriptorProtoSchema, {
  name: "weft/bench/lean_ads.proto",
  package: PKG,
  syntax: "proto3",
  dependency: ["envoy/service/discovery/v3/discovery.proto"],
  messageType: [
    {
      name: "LeanDiscoveryResponse",
      field: [
        field("version_info", 1, Type.STRING),
        field("resources", 2, Type.BYTES, true),
        field("type_url", 4, Type.STRING),
        field("nonce", 5, Type.STRING),
      ],
    },
    {
      name: "LeanDeltaDiscoveryResponse",
      field: [
        field("system_version_info", 1, Type.STRING),
        field("resources", 2, Type.BYTES, true),
        field("type_url", 4, Type.STRING),
        field("nonce", 5, Type.STRING),
        field("removed_resources", 6, Type.STRING, true),
      ],
    },
  ],
  service: [{
    name: "AggregatedDiscoveryService",
    method: [
      {
        name: "StreamAggregatedResources",
        inputType: `.${PKG}.DiscoveryRequest`,
        outputType: `.${PKG}.LeanDiscoveryResponse`,
        clientStreaming: true,
        serverStreaming: true,
      },
      {
        name: "DeltaAggregatedResources",
        inputType: `.${PKG}.DeltaDiscoveryRequest`,
        outputType: `.${PKG}.LeanDeltaDiscoveryResponse`,
        clientStreaming: true,
        serverStreaming: true,
      },
    ],
  }],
});

const registry = createFileRegistry(
  file,
  (
    name,
  ) => (name === "envoy/service/discovery/v3/discovery.proto"
    ? file_envoy_service_discovery_v3_discovery
    : undefined),
);

export const LeanAdsService: DescService = registry.getService(`${PKG}.AggregatedDiscoveryService`)!;

/** One simulated proxy's ADS stream: requests go out with `send`, responses reach the handler it was opened with. */
export interface AdsStream<Req> {
  send(request: Req): void;
  close(): void;
}

/** Opens ADS streams; `onResponse` is called for each response as it is read (no async iteration per message). */
export interface LeanAdsClient {
  /** Resolves once the client's HTTP/2 connection is up (the benchmark connects every proxy before timing). */
  ready(): Promise<void>;
  openSotw(
    onResponse: (r: LeanResponse) => void,
    onError: (err: unknown) => void,
  ): AdsStream<DiscoveryRequest>;
  openDelta(
    onResponse: (r: LeanDeltaResponse) => void,
    onError: (err: unknown) => void,
  ): AdsStream<DeltaDiscoveryRequest>;
}

/** The same streams over Connect's client (its API is async iterables: a pushable feeds the requests). */
export function createLeanAdsClient(transport: Transport, ready: () => Promise<void>): LeanAdsClient {
  const client = createClient(LeanAdsService, transport) as unknown as {
    streamAggregatedResources(
      requests: AsyncIterable<DiscoveryRequest>,
      options: { signal: AbortSignal },
    ): AsyncIterable<LeanResponse>;
    deltaAggregatedResources(
      requests: AsyncIterable<DeltaDiscoveryRequest>,
      options: { signal: AbortSignal },
    ): AsyncIterable<LeanDeltaResponse>;
  };
  function open<Req, Res>(
    call: (requests: AsyncIterable<Req>, options: { signal: AbortSignal }) => AsyncIterable<Res>,
    onResponse: (r: Res) => void,
    onError: (err: unknown) => void,
  ): AdsStream<Req> {
    const requests = createPushable<Req>();
    const abort = new AbortController();
    void (async () => {
      try {
        for await (const r of call(requests, { signal: abort.signal })) onResponse(r);
      } catch (err) {
        if (!abort.signal.aborted) onError(err);
      }
    })();
    return {
      send: (r) => requests.push(r),
      close() {
        requests.end();
        abort.abort();
      },
    };
  }
  return {
    ready,
    openSotw: (onResponse, onError) => open(client.streamAggregatedResources, onResponse, onError),
    openDelta: (onResponse, onError) => open(client.deltaAggregatedResources, onResponse, onError),
  };
}

/** An AsyncIterable of requests that the proxy pushes into as responses arrive. */
function createPushable<T>(): AsyncIterable<T> & { push(item: T): void; end(): void } {
  const items: T[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  return {
    push(item) {
      items.push(item);
      wake?.();
      wake = undefined;
    },
    end() {
      ended = true;
      wake?.();
      wake = undefined;
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (items.length > 0) yield items.shift()!;
        if (ended) return;
        await new Promise<void>((resolve) => wake = resolve);
      }
    },
  };
}
