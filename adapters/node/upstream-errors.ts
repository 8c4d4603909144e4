// Maps undici / node:http2 / node:net errors to the core's WeftError codes (which become response flags).
import { WeftError } from "../../proxy/errors.ts";

export function toUpstreamError(err: unknown, target: string): WeftError {
  if (err instanceof WeftError) return err;
  const e = err as Error & { code?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? "";
  const detail = `${target}: ${e?.message ?? String(err)}`;
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
    case "ETIMEDOUT":
      return new WeftError("upstream_connect_timeout", `connect timeout to ${detail}`, { cause: err });
    case "ECONNREFUSED":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "ERR_TLS_CERT_ALTNAME_INVALID":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "CERT_HAS_EXPIRED":
      return new WeftError("upstream_connect_failure", `connect failure to ${detail}`, { cause: err });
    case "UND_ERR_HEADERS_TIMEOUT":
      return new WeftError("upstream_per_try_timeout", `no response headers in time from ${detail}`, {
        cause: err,
      });
    case "ERR_HTTP2_STREAM_ERROR":
      if (/REFUSED_STREAM/.test(e.message)) {
        return new WeftError("upstream_refused_stream", `stream refused by ${detail}`, { cause: err });
      }
      return new WeftError("upstream_reset", `stream reset by ${detail}`, { cause: err });
    case "UND_ERR_INVALID_ARG":
    case "UND_ERR_NOT_SUPPORTED":
    case "HPE_INVALID_CONSTANT":
    case "HPE_INVALID_HEADER_TOKEN":
    case "HPE_INVALID_STATUS":
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
    case "UND_ERR_RES_CONTENT_LENGTH_MISMATCH":
      return new WeftError("upstream_protocol", `protocol error from ${detail}`, { cause: err });
    default:
      return new WeftError("upstream_reset", `connection to ${detail} reset before response`, { cause: err });
  }
}
