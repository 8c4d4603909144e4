// MurmurHash3 (x86, 32-bit) over UTF-8: the hash for ring-hash/maglev keys and route hash policies.
const encoder = new TextEncoder();

export function hash32(input: string | Uint8Array, seed = 0): number {
  const data = typeof input === "string" ? encoder.encode(input) : input;
  let h = seed >>> 0;
  const blocks = data.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = data.length & 3;
  if (tail !== 0) {
    let k = data[blocks];
    if (tail > 1) k |= data[blocks + 1] << 8;
    if (tail > 2) k |= data[blocks + 2] << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= data.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines two hashes (several hash policies on one route). */
export function combineHash(a: number, b: number): number {
  return hash32(new Uint8Array([a, a >>> 8, a >>> 16, a >>> 24, b, b >>> 8, b >>> 16, b >>> 24]));
}
