// Maps Deno fetch / socket errors to the core's WeftError codes (which become response flags).
import { WeftError } from "../../proxy/errors.ts";

/**
 * Deno's fetch rejects with `TypeError("fetch failed")` whose cause carries hyper's message: the phase
 * ("client error (Connect)" vs "(SendRequest)") tells a connect failure from a reset after connecting.
 */
export function toUpstreamError(err: unknown, target: string): WeftError {
  if (err instanceof WeftError) return err;
  const e = err as Error & { cause?: unknown; code?: string };
  const text = [e?.message, causeMessage(e?.cause)].filter(Boolean).join(": ") || String(err);
  const detail = `${target}: ${text}`;
  // Classify on hyper's part of the message, not on the URL (whose path could contain any word).
  const at = text.indexOf("client error");
  const reason = at >= 0 ? text.slice(at) : text;
  if (/timed out|os error 110\b/i.test(reason) && /connect/i.test(reason)) {
    return new WeftError("upstream_connect_timeout", `connect timeout to ${detail}`, { cause: err });
  }
  if (
    /client error \(Connect\)|tcp connect error|dns error|tls handshake|invalid peer certificate|connection refused/i
      .test(reason) || e?.name === "ConnectionRefused" || e?.code === "ECONNREFUSED"
  ) {
    return new WeftError("upstream_connect_failure", `connect failure to ${detail}${tlsHint(reason)}`, {
      cause: err,
    });
  }
  if (/invalid HTTP|parse|invalid (status|header)|content-length|message head is too large/i.test(reason)) {
    return new WeftError("upstream_protocol", `protocol error from ${detail}`, { cause: err });
  }
  return new WeftError("upstream_reset", `connection to ${detail} reset before response`, { cause: err });
}

function causeMessage(cause: unknown): string | undefined {
  return cause instanceof Error ? cause.message : cause === undefined ? undefined : String(cause);
}

function tlsHint(text: string): string {
  return /certificate/i.test(text)
    ? " (Deno always verifies upstream certificates: give the cluster a validation_context.trusted_ca and an sni)"
    : "";
}
