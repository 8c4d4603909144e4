// ADS responses' pre-encoded resources written after Connect's envelope as shared bytes, never copied per response.
//
// A first push sends ~1 MB to each of hundreds of proxies, nearly all of it runs of encoded resources that every
// proxy of a class shares (encoded-blocks.ts). Handed to Connect as raw fields, each response was still copied
// twice — protobuf-es's writer joins its chunks, Connect's envelope copies the result — and the copies lived until
// the proxy had read them, long enough to reach V8's old space: a delta first push to 500 proxies started 13 full
// GCs for "external memory pressure", about 4 s of marking on a 2-core machine. Instead, a stream *defers* a
// response's raw fields: the message keeps only a marker (a fixed32 id in field 536870911, which no xDS message
// uses), and the response body, wrapped per request, rewrites each marked envelope into its head (length fixed,
// marker dropped) followed by the deferred fields' tags and their shared bytes, each written as it is.
//
// Only for uncompressed envelopes: the control server never compresses responses (adapters/node/control-server.ts);
// a compressed envelope while fields are deferred is an error, never a response missing its resources.
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest } from "@connectrpc/connect/protocol";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { RawField } from "./encoded-resources.ts";
import { withContextValue } from "./context-values.ts";
import { ENVELOPE_HEAD, MARKER_FIELD, MARKER_TAG } from "./wire-marker.ts";

/** The marker as protobuf-es writes it last in the message: its tag, then the id. */
const MARKER_SIZE = MARKER_TAG.length + 4;
const FLAG_COMPRESSED = 0b1;
/**
 * Fields smaller than this stay in the message: a spliced response is two writes instead of one, which costs more
 * than copying a few KB (an endpoint edit's response to each of 500 proxies is a few hundred bytes).
 */
export const SPLICE_MIN_BYTES = 16 * 1024;

/** What a stream needs of a message to defer its raw fields. */
interface WithUnknown {
  $unknown?: RawField[];
}

export interface ResponseSplicer {
  /**
   * Moves the message's raw fields out of it (into this splicer) and marks it; they follow its envelope. Small
   * ones (under SPLICE_MIN_BYTES in all) are left in the message.
   */
  defer(message: WithUnknown): void;
  /** The response body with each marked envelope's deferred fields written after it. */
  body(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array>;
  /** Fields deferred and not written yet (tests). */
  pending(): number;
}

/** The request's splicer, when its handler was wrapped by withResponseSplicing. */
export const RESPONSE_SPLICER = createContextKey<ResponseSplicer | undefined>(undefined, {
  description: "weft: ADS response splicer",
});

const tags = new Map<number, Uint8Array>();
function tagOf(field: RawField): Uint8Array {
  const key = field.no * 8 + field.wireType;
  let tag = tags.get(key);
  if (tag === undefined) tags.set(key, tag = new BinaryWriter().tag(field.no, field.wireType).finish());
  return tag;
}

function markerId(chunk: Uint8Array): number | undefined {
  if (chunk.length < ENVELOPE_HEAD + MARKER_SIZE || chunk[0] !== 0) return undefined;
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (view.getUint32(1) !== chunk.length - ENVELOPE_HEAD) return undefined; // not exactly one envelope
  const at = chunk.length - MARKER_SIZE;
  for (let i = 0; i < MARKER_TAG.length; i++) if (chunk[at + i] !== MARKER_TAG[i]) return undefined;
  return view.getUint32(at + MARKER_TAG.length, true);
}

/**
 * The envelope's head (marker dropped, length covering the fields) with the first field's tag, then each field's
 * bytes. The last chunk is a one-byte copy: connect-node keeps the chunk it wrote last until the stream's next
 * one, and an idle stream must not pin a response's bytes (a few resources joined for this response alone).
 */
function splicedParts(chunk: Uint8Array, fields: readonly RawField[]): Uint8Array[] {
  let tail = 0;
  for (const f of fields) tail += tagOf(f).length + f.data.length;
  const kept = chunk.length - MARKER_SIZE;
  const firstTag = tagOf(fields[0]);
  const head = new Uint8Array(kept + firstTag.length);
  head.set(chunk.subarray(0, kept));
  head.set(firstTag, kept);
  new DataView(head.buffer).setUint32(1, kept - ENVELOPE_HEAD + tail);
  const parts: Uint8Array[] = [head];
  fields.forEach((f, i) => {
    if (i > 0) parts.push(tagOf(f));
    parts.push(f.data);
  });
  const last = parts.pop()!;
  if (last.length > 1) parts.push(last.subarray(0, last.length - 1));
  parts.push(last.slice(-1));
  return parts;
}

export function createResponseSplicer(): ResponseSplicer {
  /** In the order the messages were deferred, which is the order Connect serializes them in. */
  const deferred = new Map<number, RawField[]>();
  // A random start: a message that is not deferred cannot carry a marker that a splicer expects by accident.
  let nextId = (Math.random() * 0x1_0000_0000) >>> 0;

  /** The oldest deferred message's fields, when `chunk` is its marked envelope. */
  function take(chunk: Uint8Array): RawField[] | undefined {
    if (deferred.size === 0) return undefined;
    if (chunk.length > 0 && (chunk[0] & FLAG_COMPRESSED) !== 0) {
      throw new ConnectError("a compressed response while ADS resources were deferred", Code.Internal);
    }
    const [oldest, fields] = deferred.entries().next().value!;
    if (markerId(chunk) !== oldest) return undefined;
    deferred.delete(oldest);
    return fields;
  }

  return {
    defer(message) {
      const fields = message.$unknown;
      if (fields === undefined || fields.length === 0) return;
      let size = 0;
      for (const f of fields) size += f.data.length;
      if (size < SPLICE_MIN_BYTES) return;
      const id = nextId;
      nextId = (nextId + 1) >>> 0;
      deferred.set(id, fields);
      const data = new Uint8Array(4);
      new DataView(data.buffer).setUint32(0, id, true);
      message.$unknown = [{ no: MARKER_FIELD, wireType: WireType.Bit32, data }];
    },
    body(body) {
      // An iterator, not a generator: `throw()` and `return()` reach Connect's body as they are (a generator's
      // for-await would turn a write error into a plain return).
      const inner = body[Symbol.asyncIterator]();
      const queued: Uint8Array[] = [];
      const iterator: AsyncIterableIterator<Uint8Array> = {
        [Symbol.asyncIterator]: () => iterator,
        async next() {
          if (queued.length > 0) return { done: false, value: queued.shift()! };
          const result = await inner.next();
          if (result.done) return result;
          const fields = take(result.value);
          if (fields === undefined) return result;
          queued.push(...splicedParts(result.value, fields));
          return { done: false, value: queued.shift()! };
        },
        return: (value?: unknown) =>
          inner.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
        throw: (err?: unknown) => inner.throw?.(err) ?? Promise.reject(err),
      };
      return iterator;
    },
    pending: () => deferred.size,
  };
}

/** The handler, with a splicer in each request's context values and its response body spliced. */
export function withResponseSplicing(handler: UniversalHandler): UniversalHandler {
  const spliced = async (request: UniversalServerRequest) => {
    const splicer = createResponseSplicer();
    const response = await handler({
      ...request,
      contextValues: withContextValue(request.contextValues, RESPONSE_SPLICER, splicer),
    });
    return response.body === undefined ? response : { ...response, body: splicer.body(response.body) };
  };
  return Object.assign(spliced, handler);
}
