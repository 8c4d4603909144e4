// Test helper: builds TLS ClientHello bytes field by field, so tests control every length and value.
export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

export interface HelloOptions {
  /** host_name entries of the server_name extension (omitted when undefined). */
  readonly serverNames?: readonly string[];
  readonly alpn?: readonly string[];
  /** Extensions written before SNI/ALPN. */
  readonly before?: readonly Extension[];
  /** Extensions written after SNI/ALPN. */
  readonly after?: readonly Extension[];
  /** Write no extensions block at all (a TLS 1.0-era hello). */
  readonly noExtensions?: boolean;
  readonly sessionIdLength?: number;
  readonly cipherSuites?: readonly number[];
  readonly handshakeType?: number;
}

export const u8 = (...values: number[]): Uint8Array => Uint8Array.from(values);
export const u16 = (n: number): Uint8Array => u8(n >> 8, n & 0xff);
export const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A 16-bit length prefix followed by the bytes. */
export const vec16 = (...parts: Uint8Array[]): Uint8Array => {
  const body = concat(...parts);
  return concat(u16(body.length), body);
};

export const extension = (type: number, data: Uint8Array): Extension => ({ type, data });

export function sniExtension(names: readonly string[], nameType = 0): Extension {
  return extension(0, vec16(...names.map((n) => concat(u8(nameType), vec16(ascii(n))))));
}

export function alpnExtension(protocols: readonly string[]): Extension {
  return extension(16, vec16(...protocols.map((p) => concat(u8(p.length), ascii(p)))));
}

export function encodeExtensions(extensions: readonly Extension[]): Uint8Array {
  return vec16(...extensions.map((e) => concat(u16(e.type), vec16(e.data))));
}

/** The ClientHello body (after the 4-byte handshake header). */
export function helloBody(options: HelloOptions = {}, extensions?: Uint8Array): Uint8Array {
  const sessionId = new Uint8Array(options.sessionIdLength ?? 32).fill(0xab);
  const suites = options.cipherSuites ?? [0x1301, 0x1302, 0xc02f];
  const exts: Extension[] = [...(options.before ?? [])];
  if (options.serverNames) exts.push(sniExtension(options.serverNames));
  if (options.alpn) exts.push(alpnExtension(options.alpn));
  exts.push(...(options.after ?? []));
  return concat(
    u8(0x03, 0x03), // legacy_version TLS 1.2
    new Uint8Array(32).fill(0x11), // random
    u8(sessionId.length),
    sessionId,
    vec16(...suites.map(u16)),
    u8(1, 0), // compression methods: null
    options.noExtensions ? new Uint8Array(0) : extensions ?? encodeExtensions(exts),
  );
}

/** A handshake message: type, 24-bit length, body. */
export function handshake(body: Uint8Array, type = 1): Uint8Array {
  return concat(u8(type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff), body);
}

/** Wraps a handshake stream in TLS records of at most `recordSize` bytes each. */
export function records(stream: Uint8Array, recordSize = 16384, version = 0x01): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < stream.length; at += recordSize) {
    const fragment = stream.subarray(at, Math.min(stream.length, at + recordSize));
    parts.push(u8(0x16, 0x03, version), u16(fragment.length), fragment);
  }
  return concat(...parts);
}

export function clientHello(options: HelloOptions = {}, recordSize?: number): Uint8Array {
  return records(handshake(helloBody(options), options.handshakeType ?? 1), recordSize);
}

/** Deterministic PRNG (mulberry32) for fuzz-style tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
