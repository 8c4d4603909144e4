// x-request-id values: random (version 4) UUIDs, built with one string allocation from a batch of random bytes.

/** Hex digits of each byte value, as character codes: [hi, lo] at 2 × byte. */
const HEX = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  const s = (i + 256).toString(16);
  HEX[2 * i] = s.charCodeAt(1);
  HEX[2 * i + 1] = s.charCodeAt(2);
}

/** Random bytes for 256 ids, refilled when used up (one getRandomValues call per 256 requests). */
const pool = new Uint8Array(16 * 256);
let next = pool.length;

const DASH = 45;

/**
 * A random UUID (RFC 9562 version 4), as `crypto.randomUUID()` makes, at a quarter of its cost: that one
 * concatenates 20 strings per id (and the result must be flattened again when it is written out).
 */
export function randomRequestId(): string {
  if (next === pool.length) {
    crypto.getRandomValues(pool);
    next = 0;
  }
  const o = next;
  next += 16;
  const b = pool;
  const h = HEX;
  const v = 2 * ((b[o + 6] & 0x0f) | 0x40);
  const r = 2 * ((b[o + 8] & 0x3f) | 0x80);
  return String.fromCharCode(
    h[2 * b[o]],
    h[2 * b[o] + 1],
    h[2 * b[o + 1]],
    h[2 * b[o + 1] + 1],
    h[2 * b[o + 2]],
    h[2 * b[o + 2] + 1],
    h[2 * b[o + 3]],
    h[2 * b[o + 3] + 1],
    DASH,
    h[2 * b[o + 4]],
    h[2 * b[o + 4] + 1],
    h[2 * b[o + 5]],
    h[2 * b[o + 5] + 1],
    DASH,
    h[v],
    h[v + 1],
    h[2 * b[o + 7]],
    h[2 * b[o + 7] + 1],
    DASH,
    h[r],
    h[r + 1],
    h[2 * b[o + 9]],
    h[2 * b[o + 9] + 1],
    DASH,
    h[2 * b[o + 10]],
    h[2 * b[o + 10] + 1],
    h[2 * b[o + 11]],
    h[2 * b[o + 11] + 1],
    h[2 * b[o + 12]],
    h[2 * b[o + 12] + 1],
    h[2 * b[o + 13]],
    h[2 * b[o + 13] + 1],
    h[2 * b[o + 14]],
    h[2 * b[o + 14] + 1],
    h[2 * b[o + 15]],
    h[2 * b[o + 15] + 1],
  );
}
