// The simulated proxies read each distinct response once, and encode each distinct large request once.
//
// 500 simulated proxies share the machine's two cores with the control plane they measure; reading every
// response anew (resource names, the EDS and RDS names to subscribe to) made the simulator the busier process
// in a delta first push, so the benchmark timed the simulator. A response whose bytes equal an earlier one's
// (compared in full, not hashed) now decodes to that same object, and what a proxy derives from it is memoized
// on the object. Each proxy still receives, frames and ACKs every response on its own stream and keeps its own
// state; only the decoding of identical bytes is shared. Likewise, the large requests proxies of a class send
// alike (a delta EDS subscription to 1,000 names, a SotW ACK repeating them) are encoded once per content.
// BENCH_CONTROL_NO_MEMO=1 turns both off.
import { Buffer } from "node:buffer";

const enabled = process.env.BENCH_CONTROL_NO_MEMO !== "1";

export interface MemoStats {
  hits: number;
  misses: number;
}

/**
 * `decode`, returning the earlier result for a message equal to an earlier one (the last `limit` distinct ones).
 * The message comes as the pieces it arrived in (HTTP/2 DATA chunks), compared piece by piece: it is joined
 * into one buffer only when it is new.
 */
export function memoByPieces<T>(
  decode: (b: Buffer) => T,
  stats?: MemoStats,
  limit = 64,
): (pieces: readonly Buffer[], length: number) => T {
  const join = (pieces: readonly Buffer[], length: number) =>
    pieces.length === 1 ? pieces[0] : Buffer.concat(pieces as Buffer[], length);
  if (!enabled) return (pieces, length) => decode(join(pieces, length));
  const byLength = new Map<number, { readonly bytes: Buffer; readonly value: T }[]>();
  const order: Buffer[] = [];
  return (pieces, length) => {
    const same = byLength.get(length);
    const hit = same?.find((e) => equalsPieces(e.bytes, pieces));
    if (hit) {
      if (stats) stats.hits++;
      return hit.value;
    }
    if (stats) stats.misses++;
    const bytes = join(pieces, length);
    const value = decode(bytes);
    if (same) same.push({ bytes, value });
    else byLength.set(length, [{ bytes, value }]);
    order.push(bytes);
    if (order.length > limit) {
      const old = order.shift()!;
      const list = byLength.get(old.length)!.filter((e) => e.bytes !== old);
      if (list.length === 0) byLength.delete(old.length);
      else byLength.set(old.length, list);
    }
    return value;
  };
}

/** Whether `bytes` (of the pieces' total length) holds the pieces one after the other. */
function equalsPieces(bytes: Buffer, pieces: readonly Buffer[]): boolean {
  let at = 0;
  for (const piece of pieces) {
    if (bytes.compare(piece, 0, piece.length, at, at + piece.length) !== 0) return false;
    at += piece.length;
  }
  return true;
}

/** memoByPieces for messages that arrive whole. */
export function memoByBytes<T>(decode: (b: Buffer) => T, stats?: MemoStats, limit = 64): (b: Buffer) => T {
  const memo = memoByPieces(decode, stats, limit);
  return (bytes) => memo([bytes], bytes.length);
}

/**
 * `encode`, returning the earlier bytes for a request whose key equals an earlier one's (the last `limit` keys);
 * a request without a key (a small one) is encoded each time. The bytes are shared: grpc-js copies them into its
 * frame, the node:http2 client (h2-ads.ts) writes them as they are — nobody may change them.
 */
export function memoByKey<R>(
  encode: (r: R) => Buffer,
  keyOf: (r: R) => string | undefined,
  limit = 64,
): (r: R) => Buffer {
  if (!enabled) return encode;
  const known = new Map<string, Buffer>();
  return (r) => {
    const key = keyOf(r);
    if (key === undefined) return encode(r);
    let bytes = known.get(key);
    if (bytes === undefined) {
      known.set(key, bytes = encode(r));
      if (known.size > limit) known.delete(known.keys().next().value!);
    }
    return bytes;
  };
}

/** `compute` once per object (a memoized response is one object for all the proxies that received it). */
export function derived<K extends object, V>(compute: (k: K) => V): (k: K) => V {
  const memo = new WeakMap<K, V>();
  return (k) => {
    let v = memo.get(k);
    if (v === undefined) memo.set(k, v = compute(k));
    return v;
  };
}
