// Body plumbing between the core's AsyncIterable bodies and the Workers runtime's ReadableStreams.
import type { Body, HeaderMap } from "../../proxy/http/types.ts";

const encoder = new TextEncoder();

/** An iterable body as a ReadableStream: a native stream passes through untouched (no JS pumping). */
export function toReadableStream(body: Body): ReadableStream<Uint8Array> {
  if (body instanceof ReadableStream) return body as ReadableStream<Uint8Array>;
  const iterator = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

/** The single numeric content-length of a header map, if any. */
export function contentLengthOf(headers: HeaderMap): number | undefined {
  const v = headers["content-length"];
  if (typeof v !== "string" || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/**
 * A streamed body of known length: the Workers runtime sends `Content-Length` only for streams of fixed
 * length (and chunked encoding otherwise), so a declared length is kept with a FixedLengthStream.
 */
export function lengthDelimited(
  stream: ReadableStream<Uint8Array>,
  length: number,
): ReadableStream<Uint8Array> {
  const fixed = new FixedLengthStream(length);
  stream.pipeTo(fixed.writable).catch(() => {});
  return fixed.readable as ReadableStream<Uint8Array>;
}

/**
 * Any core body (bytes, text, stream, iterable) as something `fetch()` / `new Response()` accept.
 * `nativeKeepsLength`: a runtime stream passes through as is — right for a fetch() response body, which the
 * runtime forwards still encoded (its Content-Length describes the encoded bytes, not what JS would read);
 * wrong for an incoming request body, which fetch() would send chunked.
 */
export function toBodyInit(
  body: Body | Uint8Array | string | null,
  headers: HeaderMap,
  nativeKeepsLength: boolean,
): ReadableStream<Uint8Array> | Uint8Array | null {
  if (body === null) return null;
  if (typeof body === "string") return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  if (nativeKeepsLength && body instanceof ReadableStream) return body as ReadableStream<Uint8Array>;
  const stream = toReadableStream(body);
  const length = contentLengthOf(headers);
  return length === undefined ? stream : lengthDelimited(stream, length);
}

/** Reads a body to its end and drops it (a HEAD/204/304 response, an unused request body). */
export function discardStream(stream: ReadableStream<Uint8Array> | null): void {
  stream?.cancel().catch(() => {});
}
