// Byte and address helpers the runtime adapters share (no runtime APIs here).

/** The chunks as one array (the chunk itself when there is only one); `length` is their total when known. */
export function concatBytes(chunks: readonly Uint8Array[], length?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length ?? chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, how dual-stack sockets report IPv4 peers) as plain IPv4, as Envoy does. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
