// The universal HTTP shapes at the runtime boundary: downstream requests in, upstream requests out.
import type { AttemptCancel } from "./attempt-cancel.ts";
import type {
  ClientTlsOptions,
  Connection,
  ListenHandle,
  ServerTlsOptions,
  TlsInfo,
} from "../runtime/types.ts";

/** A header value; repeated headers are arrays. */
export type HeaderValue = string | string[];
/**
 * Lower-case header names to values, without HTTP/2 pseudo-headers. A plain object rather than
 * `Headers`: Node's codecs produce and consume this shape directly, so the hot path does not convert.
 */
export type HeaderMap = Record<string, HeaderValue | undefined>;

/** A streamed body. Adapters may hand over a native stream that is also an AsyncIterable. */
export type Body = AsyncIterable<Uint8Array>;

export type HttpProtocol = "HTTP/1.0" | "HTTP/1.1" | "HTTP/2";

export interface RequestHead {
  method: string;
  scheme: "http" | "https";
  /** Host header or :authority. */
  authority: string;
  /** Path and query, as received. */
  path: string;
  headers: HeaderMap;
}

export interface ResponseHead {
  status: number;
  headers: HeaderMap;
}

export interface DownstreamRequest extends RequestHead {
  readonly protocol: HttpProtocol;
  /** null when the request has no body. */
  readonly body: Body | null;
  /** Trailers received after the body (HTTP/2, chunked HTTP/1.1); valid once the body is consumed. */
  trailers(): HeaderMap | undefined;
  /** Aborted when the downstream peer resets or disconnects. Created lazily by adapters. */
  readonly signal: AbortSignal;
  /**
   * Optional fast path for the same event: calls `fn` once if the downstream goes away; returns an
   * unsubscribe function. Adapters implement it with their native events; the core prefers it to `signal`.
   */
  onClose?(fn: () => void): () => void;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly tls?: TlsInfo;
  /**
   * Present on HTTP/1.1 Upgrade requests (WebSocket): writes the response head (e.g. 101) and hands
   * the raw downstream connection over to the caller.
   */
  readonly upgrade?: (head: ResponseHead) => Connection;
}

export interface HttpResponse extends ResponseHead {
  /** null for no body. */
  body: Body | Uint8Array | string | null;
  /** Trailers to send after the body (gRPC status); read once the body is fully written. */
  trailers?: () => HeaderMap | undefined;
}

export type HttpHandler = (req: DownstreamRequest) => Promise<HttpResponse> | HttpResponse;

export interface HttpServeOptions {
  readonly protocol: "http1" | "http2";
  /** Limit on the size of request headers (Envoy's max_request_headers_kb). */
  readonly maxRequestHeadersKb: number;
  /** Limit on the number of request headers (Envoy's max_headers_count). */
  readonly maxHeadersCount: number;
  /** Close a connection idle for this long (0 = never). */
  readonly idleTimeoutMs: number;
  /** Reset a request stream with no activity in either direction for this long (0 = never). */
  readonly streamIdleTimeoutMs: number;
  /** Time allowed to receive the full request headers (0 = none). */
  readonly requestHeadersTimeoutMs: number;
  /** HTTP/2 settings (Envoy's http2_protocol_options); undefined = the codec's defaults. */
  readonly http2?: {
    readonly maxConcurrentStreams?: number;
    readonly initialStreamWindowSize?: number;
    readonly initialConnectionWindowSize?: number;
  };
}

/** One downstream connection being served by the runtime's HTTP codec. */
export interface HttpConnection {
  /** Graceful: HTTP/1.1 closes after the in-flight response, HTTP/2 sends GOAWAY. */
  drain(): void;
  readonly closed: Promise<void>;
}

export interface HttpListenOptions {
  /** The listener's name, for the runtime's diagnostics. */
  readonly name?: string;
  readonly host: string;
  readonly port: number;
  readonly tls?: ServerTlsOptions;
  readonly serve: Omit<HttpServeOptions, "protocol">;
}

/**
 * A runtime decodes HTTP either on connections the core accepted (`serve`: Node, so the core can sniff
 * and match filter chains first) or on listeners of its own (`listen`: Deno's serve()), or both.
 */
export interface HttpServerRuntime {
  /** Decodes HTTP on an accepted connection and calls the handler for each request. */
  serve?(conn: Connection, options: HttpServeOptions, handler: HttpHandler): HttpConnection;
  /** Listens for HTTP itself (HTTP/1.1, and HTTP/2 over TLS where the runtime can). */
  listen?(options: HttpListenOptions, handler: HttpHandler): Promise<ListenHandle>;
}

export interface UpstreamRequest extends RequestHead {
  body: Body | Uint8Array | null;
  /**
   * Cancels the attempt (per-try / route timeout, downstream reset): the pool rejects with
   * `cancel.reason`. Cheaper than an AbortSignal; `cancel.toAbortSignal()` makes one for fetch().
   */
  cancel?: AttemptCancel;
}

export interface UpstreamResponse extends ResponseHead {
  body: Body | null;
  trailers?: () => HeaderMap | undefined;
}

export interface UpstreamPoolOptions {
  readonly host: string;
  readonly port: number;
  readonly protocol: "http1" | "http2";
  readonly tls?: ClientTlsOptions;
  readonly connectTimeoutMs: number;
  /** Upper bound on connections (HTTP/1.1) to this endpoint. */
  readonly maxConnections: number;
  /** Close pooled connections idle for this long. */
  readonly idleTimeoutMs: number;
}

/** Connections to one upstream endpoint. Errors reject with a WeftError (upstream_* codes). */
export interface UpstreamPool {
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
  /** Sends an Upgrade request; on 101 returns the raw upstream connection, else the response. */
  upgrade(req: UpstreamRequest): Promise<{ response: UpstreamResponse; connection: Connection | null }>;
  close(): Promise<void>;
}

export interface UpstreamHttpRuntime {
  createPool(options: UpstreamPoolOptions): UpstreamPool;
  /**
   * Why this runtime cannot make pools like these (e.g. "HTTP/2 to upstreams"), or undefined when it can.
   * Checked when a cluster is built, so such config is rejected at load time rather than per request.
   */
  refuse?(options: Pick<UpstreamPoolOptions, "protocol" | "tls">): string | undefined;
}
