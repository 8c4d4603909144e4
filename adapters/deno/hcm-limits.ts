// HCM limits on Deno listeners: header size / count checked per request (431), load-time notes on the rest.
import type { HttpListenOptions } from "../../proxy/http/types.ts";
import type { HeaderMeasure } from "./headers.ts";

/**
 * Deno.serve's own HTTP/1.1 request-head limits (Deno 2.9): past them it answers 400 before Weft sees the
 * request, so a configured limit above them cannot take effect.
 */
export const DENO_MAX_HEADER_FIELDS = 128;
export const DENO_MAX_HEADER_KB = 64;
/** Envoy's default common_http_protocol_options.idle_timeout (the core's default too). */
const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;

/**
 * The same 431 local replies as the Node listener's codec. Size is Envoy's header-map size: names and
 * values plus method and path; a repeated field joined by `Headers` counts once.
 */
export function headerLimitReply(
  measure: HeaderMeasure,
  method: string,
  path: string,
  limits: HttpListenOptions["serve"],
): Response | undefined {
  if (measure.bytes + method.length + path.length > limits.maxRequestHeadersKb * 1024) {
    return reply431("request headers too large\n");
  }
  if (measure.count > limits.maxHeadersCount) return reply431("too many request headers\n");
  return undefined;
}

function reply431(body: string): Response {
  return new Response(body, {
    status: 431,
    headers: { "content-type": "text/plain", connection: "close" },
  });
}

/**
 * One line per HCM setting this listener cannot honour, logged once when it starts. `ownsConnections`:
 * the listener sees its connections (mTLS listeners splice them), so idle_timeout is applied.
 */
export function limitWarnings(options: HttpListenOptions, ownsConnections: boolean): string[] {
  const { serve } = options;
  const where = `weft: listener ${options.name ? `${options.name} ` : ""}(${options.host}:${options.port})`;
  const why = "; see docs/runtimes.md";
  const out: string[] = [];
  if (serve.requestHeadersTimeoutMs > 0) {
    out.push(
      `${where}: request_headers_timeout is not applied on the deno runtime (Deno.serve hands a request ` +
        `over only once its headers have arrived and has no header-read timeout)${why}`,
    );
  }
  if (!ownsConnections && serve.idleTimeoutMs > 0 && serve.idleTimeoutMs !== DEFAULT_IDLE_TIMEOUT_MS) {
    out.push(
      `${where}: common_http_protocol_options.idle_timeout is not applied on the deno runtime (Deno.serve ` +
        `does not expose its connections; idle keep-alive connections stay open)${why}`,
    );
  }
  if (serve.maxRequestHeadersKb > DENO_MAX_HEADER_KB) {
    out.push(
      `${where}: max_request_headers_kb ${serve.maxRequestHeadersKb} is above what Deno.serve accepts ` +
        `(${DENO_MAX_HEADER_KB} KB): larger request headers are answered 400 by Deno itself${why}`,
    );
  }
  if (serve.maxHeadersCount > DENO_MAX_HEADER_FIELDS) {
    out.push(
      `${where}: max_headers_count ${serve.maxHeadersCount} is above what Deno.serve accepts ` +
        `(${DENO_MAX_HEADER_FIELDS} fields): more request headers are answered 400 by Deno itself${why}`,
    );
  }
  return out;
}
