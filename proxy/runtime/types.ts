// The runtime boundary: the data shapes and small interfaces the proxy core needs from a runtime adapter.
import type { HttpServerRuntime, UpstreamHttpRuntime } from "../http/types.ts";

/** Monotonic milliseconds and timers; injectable so retry/backoff/timeout tests are exact. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}
export type TimerHandle = { readonly __timer: unique symbol } | number | object;

/** Facts about a TLS session on a connection (downstream or upstream). */
export interface TlsInfo {
  readonly serverName?: string;
  readonly alpn?: string;
  /** SPIFFE ID or subject of the peer certificate, when one was presented and verified. */
  readonly peerIdentity?: string;
}

/** A duplex byte connection (TCP or TLS). */
export interface Connection {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly tls?: TlsInfo;
  /**
   * Waits until at least `minBytes` are buffered (or the peer stops sending for `timeoutMs`, or closes)
   * and returns the buffered bytes without consuming them.
   */
  peek(minBytes: number, timeoutMs: number): Promise<Uint8Array>;
  /** The byte stream from the peer. Iterate once. */
  readonly readable: AsyncIterable<Uint8Array>;
  /** Writes a chunk; resolves when the runtime is ready for more (back-pressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** Half-close: no more writes. */
  end(): void;
  /** Closes both directions now. */
  destroy(): void;
  /** Resolves when the connection is fully closed. */
  readonly closed: Promise<void>;
}

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
}

export interface ListenHandle {
  readonly host: string;
  readonly port: number;
  /** Stops accepting new connections; existing ones continue. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly tls?: ClientTlsOptions;
}

export interface ClientTlsOptions {
  readonly serverName?: string;
  readonly alpn?: readonly string[];
  /** PEM trust anchors; when absent the runtime's defaults are used. */
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  /** Skip peer verification (only when the config has no validation context). */
  readonly insecure?: boolean;
}

export interface ServerTlsOptions {
  readonly certPem: string;
  readonly keyPem: string;
  readonly alpn?: readonly string[];
  /** PEM CA to verify client certificates against; with requireClientCert this is mTLS. */
  readonly caPem?: string;
  readonly requireClientCert?: boolean;
}

export interface NetworkRuntime {
  listen(options: ListenOptions, onConnection: (conn: Connection) => void): Promise<ListenHandle>;
  connect(options: ConnectOptions): Promise<Connection>;
  /** Terminates TLS on an accepted connection (after any peeked bytes). */
  startTls(conn: Connection, options: ServerTlsOptions): Promise<Connection>;
}

export interface DnsRuntime {
  /** Resolves a host name to addresses (IPv4 first). */
  resolve(hostname: string): Promise<string[]>;
}

/** What a runtime cannot do; the config loader rejects config that needs it. */
export interface RuntimeCapabilities {
  readonly name: string;
  readonly inboundTcp: boolean;
  readonly downstreamMtls: boolean;
  readonly upstreamHttp2: boolean;
  /** false: `net.startTls` cannot terminate TLS on accepted connections (Deno), so such listeners are refused. */
  readonly tlsOnAcceptedConnections?: boolean;
}

/** Everything the core needs, handed in by an adapter: `createProxy({ runtime })`. */
export interface Runtime {
  readonly clock: Clock;
  readonly net: NetworkRuntime;
  readonly http: HttpServerRuntime;
  readonly upstream: UpstreamHttpRuntime;
  readonly dns: DnsRuntime;
  readonly capabilities: RuntimeCapabilities;
  /** Uniform random in [0, 1); injectable for deterministic tests. */
  random(): number;
  /** Writes one access-log / diagnostic line. */
  log(line: string): void;
  /** Reads a file named by config (certificates, EDS files); absent where the runtime has no files. */
  readonly readTextFile?: (path: string) => Promise<string>;
}
