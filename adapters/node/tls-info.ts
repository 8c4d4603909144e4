// TlsInfo from a node:tls socket (SNI, ALPN, the verified peer's SPIFFE ID or CN); used by the Node and Deno adapters.
import type { TLSSocket } from "node:tls";
import type { TlsInfo } from "../../proxy/runtime/types.ts";

/** What the core needs to know about a TLS connection; no runtime import, so Deno's node:tls sockets can use it. */
export function tlsInfoOf(socket: TLSSocket): TlsInfo {
  const servername = (socket as TLSSocket & { servername?: string | false }).servername;
  const alpn = socket.alpnProtocol;
  const peer = socket.getPeerCertificate?.();
  const san = peer && "subjectaltname" in peer ? peer.subjectaltname : undefined;
  const spiffe = san?.split(", ").find((s) => s.startsWith("URI:spiffe://"))?.slice(4);
  return {
    serverName: servername || undefined,
    alpn: alpn || undefined,
    peerIdentity: socket.authorized
      ? spiffe ?? (peer?.subject?.CN ? String(peer.subject.CN) : undefined)
      : undefined,
  };
}
