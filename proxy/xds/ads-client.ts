// The proxy's ADS client (state of the world): subscribe, apply each response atomically, ACK or NACK, reconnect.
import { create } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { createClient, type Transport } from "@connectrpc/connect";
import { AggregatedDiscoveryService } from "../../gen/envoy/service/discovery/v3/ads_pb.ts";
import {
  type DiscoveryRequest,
  DiscoveryRequestSchema,
  type DiscoveryResponse,
} from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import type { Node } from "../../gen/envoy/config/core/v3/base_pb.ts";
import { type Status, StatusSchema } from "../../gen/google/rpc/status_pb.ts";
import type { Runtime } from "../runtime/types.ts";
import { createAsyncQueue } from "./async-queue.ts";
import { createBackoff } from "./backoff.ts";

/** How one resource type is subscribed to and applied. */
export interface XdsTypeHandler {
  readonly typeUrl: string;
  /** Resource names to subscribe to; [] = wildcard (LDS, CDS). */
  names(): string[];
  /** Validates and applies the whole set atomically; throws (→ NACK, previous config kept). */
  apply(resources: readonly Any[], version: string): Promise<void>;
}

export interface AdsClientOptions {
  readonly runtime: Runtime;
  readonly transport: Transport;
  readonly node: Node;
  /** In subscription order: CDS, EDS, LDS, RDS (clusters warm before listeners). */
  readonly handlers: readonly XdsTypeHandler[];
  readonly onEvent?: (event: AdsEvent) => void;
}

export type AdsEvent =
  | { kind: "connected" }
  | { kind: "disconnected"; error: string; retryInMs: number }
  | { kind: "ack"; typeUrl: string; version: string }
  | { kind: "nack"; typeUrl: string; version: string; error: string };

export interface AdsClient {
  /** Re-sends a type's subscription when its names changed (e.g. new EDS clusters). */
  resubscribe(typeUrl: string): void;
  readonly connected: boolean;
  /** Last ACKed version per type URL. */
  readonly versions: ReadonlyMap<string, string>;
  close(): void;
}

export function startAdsClient(options: AdsClientOptions): AdsClient {
  const { runtime, handlers } = options;
  const client = createClient(AggregatedDiscoveryService, options.transport);
  const acked = new Map<string, string>();
  const sentNames = new Map<string, string>();
  const backoff = createBackoff(500, 30_000, runtime.random);
  const emit = options.onEvent ?? (() => {});
  let send: ((req: DiscoveryRequest) => void) | undefined;
  let connected = false;
  let closed = false;
  let abort: AbortController | undefined;
  let first = true;

  const request = (
    typeUrl: string,
    extra: { responseNonce?: string; versionInfo?: string; errorDetail?: Status } = {},
  ) => {
    const handler = handlers.find((h) => h.typeUrl === typeUrl)!;
    const names = handler.names();
    sentNames.set(typeUrl, names.join("\n"));
    const req = create(DiscoveryRequestSchema, {
      typeUrl,
      resourceNames: names,
      versionInfo: acked.get(typeUrl) ?? "",
      ...extra,
    });
    if (first) {
      req.node = options.node;
      first = false;
    }
    send?.(req);
  };

  const onResponse = async (res: DiscoveryResponse) => {
    const handler = handlers.find((h) => h.typeUrl === res.typeUrl);
    if (!handler) {
      send?.(create(DiscoveryRequestSchema, {
        typeUrl: res.typeUrl,
        responseNonce: res.nonce,
        errorDetail: create(StatusSchema, { code: 12, message: `Weft does not subscribe to ${res.typeUrl}` }),
      }));
      return;
    }
    try {
      await handler.apply(res.resources, res.versionInfo);
      acked.set(res.typeUrl, res.versionInfo);
      request(res.typeUrl, { responseNonce: res.nonce, versionInfo: res.versionInfo });
      emit({ kind: "ack", typeUrl: res.typeUrl, version: res.versionInfo });
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      request(res.typeUrl, {
        responseNonce: res.nonce,
        errorDetail: create(StatusSchema, { code: 3, message }),
      });
      emit({ kind: "nack", typeUrl: res.typeUrl, version: res.versionInfo, error: message });
      runtime.log(
        `xds: rejected ${
          shortType(res.typeUrl)
        } version ${res.versionInfo}, keeping the previous config: ${message}`,
      );
    }
    // Applying clusters or listeners may change which endpoints / routes we need.
    for (const h of handlers) {
      if (h === handler) continue;
      const names = h.names().join("\n");
      if ((sentNames.get(h.typeUrl) ?? "") !== names) request(h.typeUrl);
    }
  };

  const loop = async () => {
    while (!closed) {
      const queue = createAsyncQueue<DiscoveryRequest>();
      abort = new AbortController();
      send = (r) => queue.push(r);
      first = true;
      try {
        const responses = client.streamAggregatedResources(queue, { signal: abort.signal });
        for (const h of handlers) if (h.names().length > 0 || isWildcard(h.typeUrl)) request(h.typeUrl);
        for await (const res of responses) {
          if (!connected) {
            connected = true;
            backoff.reset();
            emit({ kind: "connected" });
          }
          await onResponse(res);
        }
        throw new Error("control plane closed the stream");
      } catch (err) {
        queue.close();
        send = undefined;
        connected = false;
        if (closed) return;
        const wait = backoff.next();
        emit({ kind: "disconnected", error: (err as Error).message, retryInMs: wait });
        runtime.log(
          `xds: stream to the control plane failed (${
            (err as Error).message
          }); serving the last good config, retrying in ${wait} ms`,
        );
        await new Promise<void>((r) => runtime.clock.setTimeout(r, wait));
      }
    }
  };
  loop();

  return {
    resubscribe(typeUrl) {
      if (send) request(typeUrl);
    },
    get connected() {
      return connected;
    },
    versions: acked,
    close() {
      closed = true;
      abort?.abort();
    },
  };
}

function isWildcard(typeUrl: string): boolean {
  return typeUrl.endsWith(".Listener") || typeUrl.endsWith(".Cluster");
}

function shortType(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf(".") + 1);
}
