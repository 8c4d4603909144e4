// The one place where an error becomes a local reply: status, body, Envoy response flag, gRPC-aware.
import type { ErrorCode } from "../errors.ts";
import type { HeaderMap, HttpResponse, RequestHead } from "./types.ts";

/** Envoy response flags (the subset Weft produces). */
export type ResponseFlag =
  | "UF" // upstream connection failure
  | "UH" // no healthy upstream
  | "UT" // upstream request timeout
  | "URX" // upstream retry limit exceeded
  | "NR" // no route
  | "NC" // no cluster
  | "UC" // upstream connection termination
  | "UR" // upstream remote reset (refused stream)
  | "UO" // upstream overflow (circuit breaking)
  | "UPE" // upstream protocol error
  | "DC" // downstream connection termination
  | "DPE" // downstream protocol error
  | "LR"; // local reset

export interface LocalReplySpec {
  readonly status: number;
  readonly flag: ResponseFlag;
  readonly message: string;
}

/** How each upstream error code is answered. */
export function replyForError(code: ErrorCode): LocalReplySpec {
  switch (code) {
    case "upstream_connect_failure":
    case "upstream_connect_timeout":
      return {
        status: 503,
        flag: "UF",
        message:
          "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
      };
    case "upstream_timeout":
    case "upstream_per_try_timeout":
      return { status: 504, flag: "UT", message: "upstream request timeout" };
    case "upstream_refused_stream":
      return {
        status: 503,
        flag: "UR",
        message:
          "upstream connect error or disconnect/reset before headers. reset reason: remote refused stream reset",
      };
    case "upstream_overflow":
      return {
        status: 503,
        flag: "UO",
        message: "upstream connect error or disconnect/reset before headers. reset reason: overflow",
      };
    case "upstream_protocol":
      return { status: 502, flag: "UPE", message: "upstream protocol error" };
    case "downstream_reset":
      return { status: 499, flag: "DC", message: "downstream disconnected" };
    default:
      return {
        status: 503,
        flag: "UC",
        message:
          "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
      };
  }
}

/** HTTP status → gRPC status, as Envoy maps local replies for gRPC requests. */
export function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}

export function isGrpcRequest(req: RequestHead): boolean {
  const ct = req.headers["content-type"];
  return typeof ct === "string" && ct.startsWith("application/grpc");
}

/** Builds a local reply; gRPC requests get a trailers-only response with grpc-status / grpc-message. */
export function localReply(
  req: RequestHead,
  status: number,
  message: string,
  extra?: HeaderMap,
): HttpResponse {
  if (isGrpcRequest(req)) {
    return {
      status: 200,
      headers: {
        ...extra,
        "content-type": "application/grpc",
        "grpc-status": String(grpcStatusForHttp(status)),
        "grpc-message": encodeURIComponent(message),
      },
      body: null,
    };
  }
  const body = message + "\n";
  return {
    status,
    headers: { ...extra, "content-type": "text/plain", "content-length": String(byteLength(body)) },
    body,
  };
}

const encoder = new TextEncoder();
function byteLength(s: string): number {
  let ascii = true;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) ascii = false;
  return ascii ? s.length : encoder.encode(s).length;
}
