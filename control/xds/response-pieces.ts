// Cutting a large delta response into pieces: bounded messages, and a small last one per burst.

/** How a large response is cut: pieces of at most `piece` bytes of resources, then a small `tail`. */
export const PIECES = { whole: 64 * 1024, piece: 256 * 1024, tail: 4 * 1024 } as const;

/**
 * [from, to) ranges of the items: one range when they add up to at most `whole` bytes; else ranges of at most
 * `piece` bytes (an item larger goes alone) followed by a last range of at most `tail` bytes (at least one
 * item). A stream's last response stays referenced by Connect's response pipeline until the next one: ending
 * each burst with a small piece keeps 500 proxies' first pushes from pinning ~100 MB.
 */
export function piecesOf(sizes: readonly number[], limits: typeof PIECES = PIECES): [number, number][] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total <= limits.whole) return [[0, sizes.length]];
  let tailFrom = sizes.length - 1;
  for (let bytes = sizes[tailFrom]; tailFrom > 0 && bytes + sizes[tailFrom - 1] <= limits.tail;) {
    bytes += sizes[--tailFrom];
  }
  const out: [number, number][] = [];
  let from = 0;
  let bytes = 0;
  for (let i = 0; i < tailFrom; i++) {
    if (bytes > 0 && bytes + sizes[i] > limits.piece) {
      out.push([from, i]);
      from = i;
      bytes = 0;
    }
    bytes += sizes[i];
  }
  if (from < tailFrom) out.push([from, tailFrom]);
  out.push([tailFrom, sizes.length]);
  return out;
}
