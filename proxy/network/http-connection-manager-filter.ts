// The HCM as a network filter: chooses the HTTP codec for a connection (ALPN, prior knowledge) and serves it.
import type { Connection, Runtime } from "../runtime/types.ts";
import type { ConnectionManager } from "../http/connection-manager.ts";
import type { NetworkFilter } from "../listener/network-chain.ts";
import { sniffProtocol } from "../listener/protocol-sniffer.ts";

const SNIFF_TIMEOUT_MS = 10_000;

export function createHttpNetworkFilter(runtime: Runtime, hcm: ConnectionManager): NetworkFilter {
  return {
    http: { handler: hcm.handler, serveOptions: hcm.serveOptions },
    async handle(conn: Connection) {
      // A connection that sends nothing is idle: it is closed after the HCM's idle_timeout, as in Envoy.
      const waitMs = Math.min(SNIFF_TIMEOUT_MS, hcm.serveOptions.idleTimeoutMs || SNIFF_TIMEOUT_MS);
      const protocol = hcm.codec === "auto" ? await detectCodec(conn, waitMs) : hcm.codec;
      if (protocol === undefined) {
        conn.destroy();
        return undefined;
      }
      return runtime.http.serve!(conn, { ...hcm.serveOptions, protocol }, hcm.handler);
    },
  };
}

/** AUTO codec: ALPN decides on TLS; on plaintext the HTTP/2 connection preface means h2c prior knowledge. */
async function detectCodec(conn: Connection, waitMs: number): Promise<"http1" | "http2" | undefined> {
  if (conn.tls) return conn.tls.alpn === "h2" ? "http2" : "http1";
  let want = 1;
  for (let i = 0; i < 24; i++) {
    const bytes = await conn.peek(want, waitMs);
    if (bytes.length === 0) return undefined;
    const kind = sniffProtocol(bytes);
    if (kind === "http2") return "http2";
    if (kind !== "need-more" || bytes.length < want) return "http1";
    want = bytes.length + 1;
  }
  return "http1";
}
