// Istio's protocol selection: a port's protocol from its appProtocol, else from its name's prefix ("http-web").
import type { PortProtocol } from "../model/types.ts";

const BY_NAME: Readonly<Record<string, PortProtocol>> = {
  http: "HTTP",
  http2: "HTTP2",
  grpc: "GRPC",
  "grpc-web": "HTTP",
  https: "HTTPS",
  tls: "TLS",
  tcp: "TCP",
  mongo: "MONGO",
  redis: "REDIS",
  mysql: "TCP",
  h2c: "HTTP2",
  "kubernetes.io/h2c": "HTTP2",
  "kubernetes.io/ws": "HTTP",
  "kubernetes.io/wss": "HTTPS",
};

/** The protocol Istio would pick for a Kubernetes service port (UNKNOWN when neither names one). */
export function selectProtocol(name: string | undefined, appProtocol?: string): PortProtocol {
  if (appProtocol !== undefined && appProtocol !== "") {
    const byApp = BY_NAME[appProtocol.toLowerCase()];
    if (byApp !== undefined) return byApp;
  }
  if (name === undefined || name === "") return "UNKNOWN";
  const lower = name.toLowerCase();
  const dash = lower.indexOf("-");
  return BY_NAME[dash < 0 ? lower : lower.slice(0, dash)] ?? "UNKNOWN";
}

/** A ServiceEntry / Gateway protocol field ("HTTP", "grpc", …); UNKNOWN for what Istio does not name. */
export function parseProtocol(value: string | undefined): PortProtocol {
  switch ((value ?? "").toUpperCase()) {
    case "HTTP":
      return "HTTP";
    case "HTTP2":
      return "HTTP2";
    case "GRPC":
      return "GRPC";
    case "GRPC-WEB":
      return "HTTP";
    case "HTTPS":
      return "HTTPS";
    case "TLS":
      return "TLS";
    case "TCP":
    case "MYSQL":
      return "TCP";
    case "MONGO":
      return "MONGO";
    case "REDIS":
      return "REDIS";
    default:
      return "UNKNOWN";
  }
}

/** HTTP-family protocols are routed by an HTTP connection manager; the rest by tcp_proxy. */
export function isHttpProtocol(p: PortProtocol): boolean {
  return p === "HTTP" || p === "HTTP2" || p === "GRPC";
}

/** Protocols whose upstream connection is HTTP/2. */
export function isHttp2Protocol(p: PortProtocol): boolean {
  return p === "HTTP2" || p === "GRPC";
}

/** Protocols carried as TLS, routed by SNI. */
export function isTlsProtocol(p: PortProtocol): boolean {
  return p === "TLS" || p === "HTTPS";
}
