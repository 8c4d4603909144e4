// Translates the core's ClientTlsOptions into node:tls connect options.
import type { ConnectionOptions } from "node:tls";
import type { ClientTlsOptions } from "../../proxy/runtime/types.ts";

export function tlsConnectOptions(tls: ClientTlsOptions): ConnectionOptions {
  return {
    servername: tls.serverName,
    ALPNProtocols: tls.alpn ? [...tls.alpn] : undefined,
    ca: tls.caPem,
    cert: tls.certPem,
    key: tls.keyPem,
    rejectUnauthorized: !tls.insecure,
  };
}
