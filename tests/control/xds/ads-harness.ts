// A control server on a real socket with a fixed-snapshot provider, and SotW/delta drivers for grpc-js and Connect.
import { create, fromBinary, type Message } from "@bufbuild/protobuf";
import { type ConnectRouter, createClient, type Transport } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createServer as createHttp2Server, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { startControlServer } from "../../../adapters/node/control-server.ts";
import { adsRoutes } from "../../../control/xds/ads-service.ts";
import { createMetrics } from "../../../control/xds/metrics.ts";
import { createPushStatus, type PushStatus } from "../../../control/xds/push-status.ts";
import { resourceType } from "../../../control/xds/resource-types.ts";
import {
  buildSnapshot,
  createSnapshotCache,
  type SnapshotCache,
} from "../../../control/xds/snapshot-cache.ts";
import type { ProxyIdentity } from "../../../control/model/types.ts";
import { NodeSchema } from "../../../gen/envoy/config/core/v3/base_pb.ts";
import { AggregatedDiscoveryService } from "../../../gen/envoy/service/discovery/v3/ads_pb.ts";
import {
  type DiscoveryRequest,
  DiscoveryRequestSchema,
  type DiscoveryResponse,
} from "../../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import { createPushable, createReader, meshResources } from "./fixtures.ts";

export const NODE_ID = "sidecar~10.0.0.9~productpage-v1-1.default~default.svc.cluster.local";

export interface Harness {
  readonly port: number;
  readonly cache: SnapshotCache;
  readonly status: PushStatus;
  readonly connected: ProxyIdentity[];
  readonly disconnected: ProxyIdentity[];
  close(): Promise<void>;
}

/**
 * `plain`: ADS behind connect-node's own `connectNodeAdapter` on a bare h2c server instead of Weft's control
 * server — no response splicing (response-splice.ts), as when the routes are mounted elsewhere.
 */
async function startPlainServer(routes: (router: ConnectRouter) => void) {
  const server = createHttp2Server(connectNodeAdapter({ routes, compressMinBytes: Number.MAX_SAFE_INTEGER }));
  const sessions = new Set<Http2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      }),
  };
}

export async function startHarness(options: { readonly plain?: boolean } = {}): Promise<Harness> {
  let clock = 10_000;
  const cache = createSnapshotCache();
  cache.set(NODE_ID, buildSnapshot(meshResources()));
  const status = createPushStatus({ metrics: createMetrics(), now: () => clock++ });
  const connected: ProxyIdentity[] = [];
  const disconnected: ProxyIdentity[] = [];
  const routes = adsRoutes({
    cache,
    status,
    now: () => clock++,
    provider: {
      snapshotFor: (identity) => cache.get(identity.id),
      onProxyConnected: (identity) => void connected.push(identity),
      onProxyDisconnected: (identity) => void disconnected.push(identity),
    },
  });
  const server = options.plain
    ? await startPlainServer(routes)
    : await startControlServer({ host: "127.0.0.1", port: 0, routes });
  return { port: server.port, cache, status, connected, disconnected, close: () => server.close() };
}

/** A request in camelCase JSON-ish form, shared by every driver. */
export interface RequestSpec {
  readonly typeUrl: string;
  readonly resourceNames?: readonly string[];
  readonly versionInfo?: string;
  readonly responseNonce?: string;
  readonly errorDetail?: { readonly code: number; readonly message: string };
  /** Send the node (the first request of a stream must). */
  readonly withNode?: boolean;
}

export interface SeenResponse {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  /** Names of the resources, decoded from their Any. */
  readonly names: string[];
}

export interface SotwDriver {
  send(request: RequestSpec): void;
  next(): Promise<SeenResponse>;
  /** True when no response arrives within a short while. */
  quiet(): Promise<boolean>;
  close(): void;
}

export function nameOfAny(typeUrl: string, value: Uint8Array): string {
  const message = fromBinary(resourceType(typeUrl)!.schema, value) as Message & {
    name?: string;
    clusterName?: string;
  };
  return message.clusterName ?? message.name ?? "";
}

const DEPS = join(import.meta.dirname, "../../../node_modules/@grpc/grpc-js-xds/deps");

function loadAds(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync("envoy/service/discovery/v3/ads.proto", {
    longs: String,
    enums: Number,
    defaults: true,
    oneofs: true,
    includeDirs: ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(DEPS, d)),
  });
  const pkg = grpc.loadPackageDefinition(definition) as any;
  return pkg.envoy.service.discovery.v3.AggregatedDiscoveryService;
}

/** A plain @grpc/grpc-js client (proto-loader over Envoy's own protos): the wire shapes an Envoy-ish peer sends. */
export function grpcJsSotwDriver(port: number): SotwDriver {
  const Ads = loadAds();
  const client = new Ads(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as any;
  const call: grpc.ClientDuplexStream<any, any> = client.StreamAggregatedResources();
  call.on("error", () => {});
  const reader = createReader<any>(call);
  return {
    send(spec) {
      call.write({
        typeUrl: spec.typeUrl,
        resourceNames: spec.resourceNames ?? [],
        versionInfo: spec.versionInfo ?? "",
        responseNonce: spec.responseNonce ?? "",
        ...(spec.errorDetail ? { errorDetail: spec.errorDetail } : {}),
        ...(spec.withNode
          ? {
            node: {
              id: NODE_ID,
              metadata: {
                fields: {
                  NAMESPACE: { stringValue: "default" },
                  WORKLOAD_NAME: { stringValue: "productpage-v1" },
                },
              },
            },
          }
          : {}),
      });
    },
    async next() {
      const r = await reader.next();
      return {
        versionInfo: r.versionInfo,
        typeUrl: r.typeUrl,
        nonce: r.nonce,
        // protobufjs keeps google.protobuf.Any's own field names.
        names: r.resources.map((a: { type_url: string; value: Uint8Array }) =>
          nameOfAny(a.type_url, a.value)
        ),
      };
    },
    quiet: () => reader.quiet(),
    close() {
      call.cancel();
      client.close();
    },
  };
}

export const NODE = create(NodeSchema, {
  id: NODE_ID,
  metadata: { NAMESPACE: "default", WORKLOAD_NAME: "productpage-v1" },
});

export function adsClient(port: number, transport?: Transport) {
  return createClient(
    AggregatedDiscoveryService,
    transport ?? createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }),
  );
}

/**
 * The same exchange through a Connect client (default: its gRPC transport on HTTP/2), with protobuf-es
 * messages.
 */
export function connectSotwDriver(port: number, transport?: Transport): SotwDriver {
  const requests = createPushable<DiscoveryRequest>();
  const abort = new AbortController();
  const responses = adsClient(port, transport).streamAggregatedResources(requests, { signal: abort.signal });
  const reader = createReader<DiscoveryResponse>(responses);
  return {
    send(spec) {
      requests.push(create(DiscoveryRequestSchema, {
        typeUrl: spec.typeUrl,
        resourceNames: [...(spec.resourceNames ?? [])],
        versionInfo: spec.versionInfo ?? "",
        responseNonce: spec.responseNonce ?? "",
        ...(spec.errorDetail ? { errorDetail: spec.errorDetail } : {}),
        ...(spec.withNode ? { node: NODE } : {}),
      }));
    },
    async next() {
      const r = await reader.next();
      return {
        versionInfo: r.versionInfo,
        typeUrl: r.typeUrl,
        nonce: r.nonce,
        names: r.resources.map((a) => nameOfAny(a.typeUrl, a.value)),
      };
    },
    quiet: () => reader.quiet(),
    close() {
      requests.end();
      abort.abort();
    },
  };
}
