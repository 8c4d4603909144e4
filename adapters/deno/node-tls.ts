// node:tls server settings and peer facts for Deno (Deno's own TLS APIs cannot request client certificates).
import type { TlsOptions, TLSSocket } from "node:tls";
import type { ServerTlsOptions } from "../../proxy/runtime/types.ts";

/** As on Node: a CA asks for a client certificate; require_client_certificate also refuses clients without one. */
export function serverTlsOptions(tls: ServerTlsOptions, alpn: readonly string[] | undefined): TlsOptions {
  return {
    cert: tls.certPem,
    key: tls.keyPem,
    ca: tls.caPem,
    requestCert: requestsCert(tls),
    rejectUnauthorized: Boolean(tls.requireClientCert),
    ALPNProtocols: alpn ? [...alpn] : undefined,
  };
}

export function requestsCert(tls: ServerTlsOptions): boolean {
  return Boolean(tls.requireClientCert || tls.caPem);
}

export { tlsInfoOf } from "../node/tls-info.ts";

/**
 * A TLSSocket made by hand (not by tls.Server) only records OpenSSL's verdict on the client certificate:
 * read it, set `authorized` as tls.Server would, and say whether the connection may continue.
 */
export function verifyClient(socket: TLSSocket, tls: ServerTlsOptions): boolean {
  const s = socket as unknown as {
    authorized: boolean;
    authorizationError?: string;
    _handle?: { verifyError?: () => (Error & { code?: string }) | null | undefined };
  };
  if (!requestsCert(tls)) return true;
  const error = s._handle?.verifyError?.();
  if (!error) {
    s.authorized = true;
    return true;
  }
  s.authorized = false;
  s.authorizationError = error.code ?? error.message;
  return !tls.requireClientCert;
}

/** Resolves when a full write buffer has drained; rejects when the socket closed first. */
export function drained(socket: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      if (socket.destroyed) reject(new Error("connection closed"));
      else resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}
