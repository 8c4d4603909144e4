// ADS requests' long resource-name lists decoded once per distinct list, not once per request.
//
// A sidecar asks for EDS by name (1,200 names, ~57 KB, at the benchmark's scale), and a SotW ACK repeats the
// whole list every time. Proxies of a class send byte-identical lists, so decoding each anew (strings, then
// hashing every fresh string in each lookup) cost ~0.4 ms per request: a delta first push to 500 proxies spent
// ~0.5 s there. Before Connect parses a binary request, its run of `resource_names` entries (field 3 of both
// DiscoveryRequest and DeltaDiscoveryRequest) is cut out of the envelope and replaced by a marker (a fixed32 id
// in field 536870911, which no xDS message uses); the list, decoded once and shared (frozen), is put back into
// the parsed message by `restore`. Any envelope this does not fully understand passes through unchanged.
import { createContextKey } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest } from "@connectrpc/connect/protocol";
import { BinaryReader, getTextEncoding, WireType } from "@bufbuild/protobuf/wire";
import { isBinaryCodec, type RawField } from "./encoded-resources.ts";
import { withContextValue } from "./context-values.ts";
import { concatBytes } from "../../proxy/runtime/bytes.ts";
import { ENVELOPE_HEAD, MARKER_FIELD, MARKER_TAG } from "./wire-marker.ts";
import { AggregatedDiscoveryService } from "../../gen/envoy/service/discovery/v3/ads_pb.ts";

/** `resource_names` (SotW) and `resource_names_subscribe` (delta) are both field 3, length-delimited. */
const NAMES_TAG = (3 << 3) | WireType.LengthDelimited;
/** Shorter runs are decoded as usual: the rewrite costs more than it saves. */
export const SHARE_MIN_BYTES = 2048;
/** Longer runs are decoded as usual too: a list kept costs ~5× its encoded size (names, keys). */
export const SHARE_MAX_BYTES = 1024 * 1024;
/**
 * Encoded bytes of the lists kept (most recently used first; 1,200 EDS names are ~57 KB): a client sending
 * ever new lists can hold no more than this (×5) of the control plane's memory.
 */
export const LISTS_BUDGET_BYTES = 4 * 1024 * 1024;
/** Larger envelopes pass through as they arrive, never buffered here. */
const MAX_REWRITE_BYTES = 4 * 1024 * 1024;

/** Decoded lists by their encoded run, shared by every request (and stream) of a server. */
export interface NameLists {
  /** The list `run` encodes (field-3 entries, tags included); undefined when it cannot be shared. */
  lookup(run: Uint8Array): readonly string[] | undefined;
  readonly size: number;
}

export function createNameLists(): NameLists {
  /** Insertion order is recency: the least recently used list comes first. */
  type Entry = { readonly key: string; readonly names: readonly string[]; readonly bytes: number };
  const lists = new Map<string, Entry>();
  let kept = 0;
  /** The most recently used entry: hundreds of streams in a row send the same list, and need not move it. */
  let newest: Entry | undefined;
  return {
    lookup(run) {
      if (run.length > SHARE_MAX_BYTES) return undefined;
      // The run as text is the key: valid UTF-8 decodes one way only, so equal keys mean equal bytes. A run with
      // an invalid sequence (it decodes to U+FFFD, as would a literal one) is left to the normal decoding — as is
      // one with a name of 128 bytes or more, whose length takes two bytes, the first of them not valid UTF-8.
      const key = getTextEncoding().decodeUtf8(run);
      if (key.includes("\uFFFD")) return undefined;
      let entry = lists.get(key);
      if (entry === undefined) {
        const names = decodeNames(run);
        if (names === undefined) return undefined;
        entry = { key, names, bytes: run.length };
        kept += run.length;
        for (const [oldest, { bytes }] of lists) {
          if (kept <= LISTS_BUDGET_BYTES) break;
          lists.delete(oldest);
          kept -= bytes;
        }
        lists.set(key, entry);
      } else if (entry !== newest) {
        // Most recently used last, under the key it was stored with: the text just decoded is let go of at once,
        // and the map's entries (and so its tables) churn only when the list a stream sends changes.
        lists.delete(entry.key);
        lists.set(entry.key, entry);
      }
      newest = entry;
      return entry.names;
    },
    get size() {
      return lists.size;
    },
  };
}

function decodeNames(run: Uint8Array): readonly string[] | undefined {
  const reader = new BinaryReader(run);
  const names: string[] = [];
  try {
    while (reader.pos < reader.len) {
      reader.tag();
      names.push(reader.string());
    }
  } catch {
    return undefined;
  }
  return Object.freeze(names);
}

/** Where the message's field-3 run starts and ends, if it is one run and the message holds no marker. */
function namesRun(message: Uint8Array): [start: number, end: number] | undefined {
  const reader = new BinaryReader(message);
  let run: [number, number] | undefined;
  try {
    while (reader.pos < reader.len) {
      const at = reader.pos;
      if (message[at] === NAMES_TAG) {
        if (run !== undefined) return undefined; // a second run: not rewritten
        // The entries one after another: a tag byte and a length each, no tag decoding per name.
        let pos = at;
        while (pos < reader.len && message[pos] === NAMES_TAG) {
          reader.pos = pos + 1;
          const length = reader.uint32();
          pos = reader.pos + length;
        }
        if (pos > reader.len) return undefined;
        reader.pos = pos;
        run = [at, pos];
        continue;
      }
      const [no, wireType] = reader.tag();
      // Field 3 with a tag written in more bytes than it needs: its name would be lost to the restored list.
      if (no === MARKER_FIELD || no === 0 || no === 3) return undefined;
      reader.skip(wireType);
    }
  } catch {
    return undefined;
  }
  return run !== undefined && run[1] - run[0] >= SHARE_MIN_BYTES ? run : undefined;
}

/** A stream's lists cut out of its requests, in arrival order, until `restore` puts them back. */
export interface RequestNames {
  /** The message with its names replaced by a marker, or undefined to leave it as it is. */
  cut(message: Uint8Array): Uint8Array | undefined;
  /**
   * The shared (frozen) list cut out of this parsed request, its marker removed; undefined if none was cut.
   * The caller puts it in the request's names field.
   */
  restore(request: { $unknown?: RawField[] }): readonly string[] | undefined;
  /** Lists cut and not restored yet (tests). */
  pending(): number;
}

export function createRequestNames(lists: NameLists): RequestNames {
  const cut: { id: number; names: readonly string[] }[] = [];
  // A random start, as for response markers: a client's own marker field cannot match by accident.
  let nextId = (Math.random() * 0x1_0000_0000) >>> 0;
  return {
    cut(message) {
      const run = namesRun(message);
      if (run === undefined) return undefined;
      const names = lists.lookup(message.subarray(run[0], run[1]));
      if (names === undefined) return undefined;
      const id = nextId;
      nextId = (nextId + 1) >>> 0;
      cut.push({ id, names });
      const kept = message.length - (run[1] - run[0]);
      const out = new Uint8Array(ENVELOPE_HEAD + kept + MARKER_TAG.length + 4);
      const view = new DataView(out.buffer);
      view.setUint32(1, out.length - ENVELOPE_HEAD);
      out.set(message.subarray(0, run[0]), ENVELOPE_HEAD);
      out.set(message.subarray(run[1]), ENVELOPE_HEAD + run[0]);
      out.set(MARKER_TAG, ENVELOPE_HEAD + kept);
      view.setUint32(ENVELOPE_HEAD + kept + MARKER_TAG.length, id, true);
      return out;
    },
    restore(request) {
      const fields = request.$unknown;
      if (fields === undefined || cut.length === 0) return undefined;
      const i = fields.findIndex((f) => f.no === MARKER_FIELD && f.wireType === WireType.Bit32);
      if (i < 0 || fields[i].data.length !== 4) return undefined;
      const data = fields[i].data;
      const id = new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true);
      // Requests are parsed in order: lists cut before this one were never asked for (their request failed).
      const at = cut.findIndex((c) => c.id === id);
      if (at < 0) return undefined;
      const { names } = cut[at];
      cut.splice(0, at + 1);
      fields.splice(i, 1);
      if (fields.length === 0) delete request.$unknown;
      return names;
    },
    pending: () => cut.length,
  };
}

/** The request's names, when its handler was wrapped by withRequestNameSharing. */
export const REQUEST_NAMES = createContextKey<RequestNames | undefined>(undefined, {
  description: "weft: ADS request names shared between requests",
});

const EMPTY = new Uint8Array(0);

/** Splits a request body into envelopes as chunks arrive: each whole one through `names.cut`, big ones as they come. */
function createSplitter(names: RequestNames) {
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  /** The size of the envelope being held (head included), once its head has arrived. */
  let need = 0;
  /** Bytes still to pass through unchanged (a compressed or very large envelope). */
  let passing = 0;
  const join = () => {
    const all = concatBytes(held, heldBytes);
    held = [];
    heldBytes = 0;
    return all;
  };
  return {
    /** What to send on for this chunk, in order (maybe nothing yet). */
    push(chunk: Uint8Array): Uint8Array[] {
      const out: Uint8Array[] = [];
      while (chunk.length > 0) {
        if (passing > 0) {
          const n = Math.min(passing, chunk.length);
          out.push(chunk.subarray(0, n));
          passing -= n;
          chunk = chunk.subarray(n);
          continue;
        }
        held.push(chunk);
        heldBytes += chunk.length;
        chunk = EMPTY;
        if (need === 0) {
          if (heldBytes < ENVELOPE_HEAD) break;
          if (held[0].length < ENVELOPE_HEAD) {
            const all = join();
            held = [all];
            heldBytes = all.length;
          }
          const head = held[0];
          const length = new DataView(head.buffer, head.byteOffset, ENVELOPE_HEAD).getUint32(1);
          if (head[0] !== 0 || length > MAX_REWRITE_BYTES) {
            passing = ENVELOPE_HEAD + length;
            chunk = join();
            continue;
          }
          need = ENVELOPE_HEAD + length;
        }
        if (heldBytes < need) break;
        const bytes = join();
        // Not rewritten: a copy. A view would keep the whole buffer Node read it into (up to 64 KB) alive for as
        // long as Connect or the parsed request refers to it — with 500 idle streams, tens of MB.
        out.push(names.cut(bytes.subarray(ENVELOPE_HEAD, need)) ?? bytes.slice(0, need));
        chunk = need < bytes.length ? bytes.subarray(need) : EMPTY;
        need = 0;
      }
      return out;
    },
    /** A truncated envelope's bytes at the end of the body (Connect reports it). */
    rest: (): Uint8Array | undefined => (heldBytes > 0 ? join() : undefined),
  };
}

/** The body, each uncompressed envelope whole and passed through `names.cut`; anything else as it comes. */
export async function* cutNames(
  body: AsyncIterable<Uint8Array>,
  names: RequestNames,
): AsyncGenerator<Uint8Array> {
  const splitter = createSplitter(names);
  for await (const chunk of body) yield* splitter.push(chunk);
  const rest = splitter.rest();
  if (rest !== undefined) yield rest;
}

/**
 * The handler, with request names cut out of binary ADS requests and a RequestNames in each request's values.
 * Other services' handlers are returned as they are (their field 3 means something else).
 */
export function withRequestNameSharing(handler: UniversalHandler): UniversalHandler {
  if (handler.service.typeName !== AggregatedDiscoveryService.typeName) return handler;
  const lists = createNameLists();
  const sharing = (request: UniversalServerRequest) => {
    const body = request.body;
    if (!isBinaryCodec(request.header.get("content-type")) || !isAsyncIterable(body)) return handler(request);
    const names = createRequestNames(lists);
    return handler({
      ...request,
      body: cutNames(body, names),
      contextValues: withContextValue(request.contextValues, REQUEST_NAMES, names),
    });
  };
  return Object.assign(sharing, handler);
}

function isAsyncIterable(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof body === "object" && body !== null && Symbol.asyncIterator in body;
}
