// Where an edge worker's config comes from: the control plane's EdgeConfigService over Connect (fetch-based).
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import type { Node } from "../../gen/envoy/config/core/v3/base_pb.ts";
import {
  type EdgeConfig,
  EdgeConfigSchema,
  EdgeConfigService,
  FetchRequestSchema,
} from "../../gen/weft/edge/v1/edge_pb.ts";
import type { FetchFunction } from "./upstream-fetch.ts";

/** A config source: fetches the set when `knownVersion` is stale; rejects when the source cannot be reached. */
export interface EdgeConfigSource {
  /** The identity the edge proxy runs as (its bootstrap node). */
  readonly node: Node;
  /** The new config, or undefined when `knownVersion` is still current. */
  fetch(knownVersion: string): Promise<EdgeConfig | undefined>;
}

/** Somewhere to keep the last good config across isolates (a KV namespace, the Cache API). */
export interface EdgeConfigStore {
  load(): Promise<EdgeConfig | undefined>;
  save(config: EdgeConfig): Promise<void>;
}

export interface ConnectConfigSourceOptions {
  /** The control plane's Connect base URL, e.g. http://127.0.0.1:15010. */
  readonly baseUrl: string;
  readonly node: Node;
  /** Per Fetch call (default 5 s). */
  readonly timeoutMs?: number;
  readonly fetch?: FetchFunction;
}

/**
 * fetch() as connect-web should use it on Workers: redirect "manual" (the runtime does not implement the
 * "error" connect-web asks for), and the call's signal unlinked once fetch() has failed — Connect aborts it
 * with the error afterwards, which workerd would report as an unhandled rejection.
 */
export function workersFetch(fetchImpl: FetchFunction): FetchFunction {
  return (input, init) => {
    const outer = init.signal ?? undefined;
    const inner = new AbortController();
    const forward = () => inner.abort(outer?.reason);
    if (outer?.aborted) forward();
    else outer?.addEventListener("abort", forward, { once: true });
    return fetchImpl(input, { ...init, redirect: "manual", signal: inner.signal }).catch((err) => {
      outer?.removeEventListener("abort", forward);
      throw err;
    });
  };
}

export function connectConfigSource(options: ConnectConfigSourceOptions): EdgeConfigSource {
  const fetchImpl: FetchFunction = options.fetch ?? ((input, init) => fetch(input, init));
  const transport = createConnectTransport({
    baseUrl: options.baseUrl,
    useBinaryFormat: true,
    fetch: workersFetch(fetchImpl) as typeof fetch,
  });
  const client = createClient(EdgeConfigService, transport);
  const timeoutMs = options.timeoutMs ?? 5_000;
  return {
    node: options.node,
    async fetch(knownVersion) {
      const config = await client.fetch(create(FetchRequestSchema, { node: options.node, knownVersion }), {
        timeoutMs,
      });
      return config.notModified ? undefined : config;
    },
  };
}

/** The minimal KV namespace surface the store uses (Workers KV). */
export interface KvLike {
  get(key: string, type: "arrayBuffer"): Promise<ArrayBuffer | null>;
  put(key: string, value: ArrayBuffer | Uint8Array): Promise<void>;
}

/** Keeps the last good config in a KV namespace, under one key per node id. */
export function kvConfigStore(kv: KvLike, nodeId: string): EdgeConfigStore {
  const key = `weft-edge-config/${nodeId}`;
  return {
    async load() {
      const bytes = await kv.get(key, "arrayBuffer");
      return bytes ? fromBinary(EdgeConfigSchema, new Uint8Array(bytes)) : undefined;
    },
    save: (config) => kv.put(key, toBinary(EdgeConfigSchema, config)),
  };
}
