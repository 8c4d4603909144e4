// Envoy's tls_inspector: finds SNI and ALPN in the first bytes of a connection without throwing.
export type ClientHelloResult =
  | { readonly kind: "need-more" }
  | { readonly kind: "not-tls" }
  | { readonly kind: "tls"; readonly serverName?: string; readonly alpn: string[] };

/** Envoy's max_client_hello_size: a hello that has not completed within this many bytes is not TLS. */
export const MAX_CLIENT_HELLO_BYTES = 16384;

const NEED_MORE: ClientHelloResult = Object.freeze({ kind: "need-more" });
const NOT_TLS: ClientHelloResult = Object.freeze({ kind: "not-tls" });

const RECORD_HEADER = 5;
const HANDSHAKE_HEADER = 4;
const MAX_RECORD_LENGTH = 16384; // 2^14, TLSPlaintext.length limit
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;

// Parse status while walking the hello: the message ended too early, or bytes have not arrived yet.
const MALFORMED = -1;
const TRUNCATED = -2;

/** Checks the first `bytes` of a connection for a TLS ClientHello (possibly spanning records). */
export function inspectClientHello(bytes: Uint8Array, maxBytes = MAX_CLIENT_HELLO_BYTES): ClientHelloResult {
  const result = inspect(bytes, maxBytes);
  return result === NEED_MORE && bytes.length >= maxBytes ? NOT_TLS : result;
}

function inspect(bytes: Uint8Array, maxBytes: number): ClientHelloResult {
  const header = checkRecordHeader(bytes, 0);
  if (header !== 0) return header === TRUNCATED ? NEED_MORE : NOT_TLS;
  // The handshake header itself may be split across records; gather just enough to read it.
  const hs = gather(bytes, HANDSHAKE_HEADER);
  if (hs === MALFORMED) return NOT_TLS;
  if (hs.available < HANDSHAKE_HEADER) return hs.available > 0 && hs.data[0] !== 1 ? NOT_TLS : NEED_MORE;
  if (hs.data[0] !== 1) return NOT_TLS; // not a ClientHello
  const total = HANDSHAKE_HEADER + ((hs.data[1] << 16) | (hs.data[2] << 8) | hs.data[3]);
  if (total + RECORD_HEADER > maxBytes) return NOT_TLS;
  const message = gather(bytes, total);
  if (message === MALFORMED) return NOT_TLS;
  return parseClientHello(message.data, message.available, total);
}

/** 0 if a valid handshake record header starts at `at`, else MALFORMED or TRUNCATED. */
function checkRecordHeader(bytes: Uint8Array, at: number): number {
  const n = bytes.length - at;
  if (n >= 1 && bytes[at] !== 0x16) return MALFORMED;
  if (n >= 2 && bytes[at + 1] !== 0x03) return MALFORMED;
  if (n >= 3 && bytes[at + 2] > 0x04) return MALFORMED;
  if (n < RECORD_HEADER) return TRUNCATED;
  const length = (bytes[at + 3] << 8) | bytes[at + 4];
  return length === 0 || length > MAX_RECORD_LENGTH ? MALFORMED : 0;
}

interface Gathered {
  readonly data: Uint8Array;
  /** How many of the wanted bytes have arrived (the rest of `data` is not to be read). */
  readonly available: number;
}

/**
 * The first `want` bytes of the handshake stream: the fragments of consecutive handshake records,
 * starting with the (already checked) record at offset 0. Zero-copy when the first record holds
 * them or is itself still arriving; copies only for a hello split across records.
 */
function gather(bytes: Uint8Array, want: number): Gathered | typeof MALFORMED {
  const firstLength = (bytes[3] << 8) | bytes[4];
  const firstAvail = Math.min(firstLength, bytes.length - RECORD_HEADER);
  if (firstAvail >= want || firstAvail < firstLength) {
    const n = Math.min(firstAvail, want);
    return { data: bytes.subarray(RECORD_HEADER, RECORD_HEADER + n), available: n };
  }
  const data = new Uint8Array(want);
  data.set(bytes.subarray(RECORD_HEADER, RECORD_HEADER + firstLength));
  let filled = firstLength;
  let at = RECORD_HEADER + firstLength;
  while (filled < want) {
    const header = checkRecordHeader(bytes, at);
    if (header === MALFORMED) return MALFORMED;
    if (header === TRUNCATED) break;
    const length = (bytes[at + 3] << 8) | bytes[at + 4];
    const chunk = bytes.subarray(at + RECORD_HEADER, at + RECORD_HEADER + Math.min(length, want - filled));
    data.set(chunk, filled);
    filled += chunk.length;
    at += RECORD_HEADER + length; // past the end if this record is still arriving: TRUNCATED next
  }
  return { data, available: filled };
}

/**
 * Walks a ClientHello whose handshake message is `total` bytes long, of which `available` have
 * arrived. Reading past `total` means malformed; past `available` means need more.
 */
function parseClientHello(msg: Uint8Array, available: number, total: number): ClientHelloResult {
  const limit = Math.min(available, total);
  let p = HANDSHAKE_HEADER;
  if (p + 2 > limit) return short(p + 2, total);
  if (msg[p] !== 0x03) return NOT_TLS; // legacy_version major
  p += 2 + 32; // version, random
  if (p + 1 > limit) return short(p + 1, total);
  const sessionIdLength = msg[p];
  if (sessionIdLength > 32) return NOT_TLS;
  p += 1 + sessionIdLength;
  if (p + 2 > limit) return short(p + 2, total);
  const suitesLength = (msg[p] << 8) | msg[p + 1];
  if (suitesLength < 2 || (suitesLength & 1) !== 0) return NOT_TLS;
  p += 2 + suitesLength;
  if (p + 1 > limit) return short(p + 1, total);
  const compressionLength = msg[p];
  if (compressionLength < 1) return NOT_TLS;
  p += 1 + compressionLength;
  if (p === total) return available < total ? NEED_MORE : { kind: "tls", alpn: [] }; // no extensions
  if (p + 2 > limit) return short(p + 2, total);
  const extensionsEnd = p + 2 + ((msg[p] << 8) | msg[p + 1]);
  if (extensionsEnd !== total) return NOT_TLS;
  p += 2;
  let serverName: string | undefined;
  let alpn: string[] | undefined;
  while (p < total) {
    if (p + 4 > limit) return short(p + 4, total);
    const type = (msg[p] << 8) | msg[p + 1];
    const end = p + 4 + ((msg[p + 2] << 8) | msg[p + 3]);
    if (end > total) return NOT_TLS;
    if (type === EXT_SERVER_NAME || type === EXT_ALPN) {
      if (end > limit) return NEED_MORE;
      if (type === EXT_SERVER_NAME) {
        if (serverName !== undefined) return NOT_TLS; // duplicate extension
        serverName = readServerName(msg, p + 4, end);
        if (serverName === undefined) return NOT_TLS;
      } else {
        if (alpn !== undefined) return NOT_TLS;
        alpn = readAlpn(msg, p + 4, end);
        if (alpn === undefined) return NOT_TLS;
      }
    }
    p = end;
  }
  // Extension bodies we skipped may still be in flight: the hello is only whole at `total`.
  if (available < total) return NEED_MORE;
  return serverName === undefined || serverName === ""
    ? { kind: "tls", alpn: alpn ?? [] }
    : { kind: "tls", serverName, alpn: alpn ?? [] };
}

/** Reading up to `end` failed: past the message's end is malformed, otherwise bytes are missing. */
function short(end: number, total: number): ClientHelloResult {
  return end > total ? NOT_TLS : NEED_MORE;
}

/** server_name extension: the first host_name entry, lower-cased ("" if none); undefined if malformed. */
function readServerName(msg: Uint8Array, start: number, end: number): string | undefined {
  if (start + 2 > end || start + 2 + ((msg[start] << 8) | msg[start + 1]) !== end) return undefined;
  let p = start + 2;
  if (p === end) return undefined; // an empty server_name_list is not allowed from a client
  let name = "";
  while (p < end) {
    if (p + 3 > end) return undefined;
    const nameType = msg[p];
    const nameEnd = p + 3 + ((msg[p + 1] << 8) | msg[p + 2]);
    if (nameEnd > end || nameEnd === p + 3) return undefined;
    if (nameType === 0 && name === "") {
      for (let i = p + 3; i < nameEnd; i++) {
        const c = msg[i];
        if (c <= 0x20 || c >= 0x7f) return undefined; // host names are printable ASCII
        name += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
      }
    }
    p = nameEnd;
  }
  return name;
}

/** ALPN extension: protocol names in client preference order; undefined if malformed. */
function readAlpn(msg: Uint8Array, start: number, end: number): string[] | undefined {
  if (start + 2 > end || start + 2 + ((msg[start] << 8) | msg[start + 1]) !== end) return undefined;
  let p = start + 2;
  if (p === end) return undefined;
  const protocols: string[] = [];
  while (p < end) {
    const length = msg[p];
    if (length === 0 || p + 1 + length > end) return undefined;
    let name = "";
    for (let i = p + 1; i <= p + length; i++) name += String.fromCharCode(msg[i]);
    protocols.push(name);
    p += 1 + length;
  }
  return protocols;
}
