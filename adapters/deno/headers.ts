// Converts between web `Headers` and the core's HeaderMap (lower-case names, repeated set-cookie as arrays).
import type { HeaderMap } from "../../proxy/http/types.ts";

/** Header fields and their name + value bytes, as counted for max_headers_count / max_request_headers_kb. */
export interface HeaderMeasure {
  count: number;
  bytes: number;
}

/**
 * `Headers` joins repeated fields with ", " except set-cookie, which stays a list. With `measure`, also
 * counts the fields (a joined repeated field counts once: `Headers` does not keep them apart) and bytes.
 */
export function toHeaderMap(headers: Headers, measure?: HeaderMeasure): HeaderMap {
  const out: HeaderMap = {};
  for (const [name, value] of headers) {
    if (measure) {
      measure.count++;
      measure.bytes += name.length + value.length;
    }
    if (name === "set-cookie") continue;
    out[name] = value;
  }
  const cookies = headers.getSetCookie();
  if (cookies.length === 1) out["set-cookie"] = cookies[0];
  else if (cookies.length > 1) out["set-cookie"] = cookies;
  return out;
}

/** Builds `Headers` from a HeaderMap; throws a TypeError on a name or value `Headers` refuses. */
export function toHeaders(map: HeaderMap, skip?: ReadonlySet<string>): Headers {
  const headers = new Headers();
  for (const name in map) {
    const value = map[name];
    if (value === undefined || skip?.has(name)) continue;
    if (Array.isArray(value)) { for (const v of value) headers.append(name, v); }
    else headers.append(name, value);
  }
  return headers;
}

/** A body the core hands over, as something `fetch` / `Response` accept (streams pass through). */
export function toBodyInit(
  body: AsyncIterable<Uint8Array> | Uint8Array | string | null,
): BodyInit | null {
  if (body === null || typeof body === "string") return body;
  if (body instanceof Uint8Array) return body as Uint8Array<ArrayBuffer>;
  if (body instanceof ReadableStream) return body;
  return ReadableStream.from(body);
}
