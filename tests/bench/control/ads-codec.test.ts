// The simulator's gRPC message framing and its memo of equal responses, whatever the DATA chunk boundaries.
import { describe, expect, it } from "vitest";
import { MessageReader } from "../../../bench/control/ads-codec.ts";
import { memoByPieces } from "../../../bench/control/response-memo.ts";

/** `payloads` as gRPC length-prefixed frames, back to back. */
function framed(payloads: Buffer[]): Buffer {
  return Buffer.concat(payloads.flatMap((p) => {
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(p.length, 1);
    return [prefix, p];
  }));
}

/** Cuts `bytes` at the given offsets. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const edges = [0, ...at, bytes.length];
  return edges.slice(1).map((end, i) => bytes.subarray(edges[i], end));
}

describe("MessageReader", () => {
  const payloads = [Buffer.from("first message"), Buffer.alloc(0), Buffer.from("x".repeat(300))];
  const wire = framed(payloads);

  it.each([
    ["one chunk", []],
    ["every byte apart", Array.from({ length: wire.length - 1 }, (_, i) => i + 1)],
    ["inside a length prefix and inside a message", [2, 9, 20, 22, 100]],
  ])("gives each message whole from %s", (_name, at) => {
    const got: Buffer[] = [];
    const reader = new MessageReader((pieces, length) => {
      const joined = Buffer.concat(pieces as Buffer[]);
      expect(joined.length).toBe(length);
      got.push(joined);
    });
    for (const chunk of cut(wire, at)) reader.push(chunk);
    expect(got.map(String)).toEqual(payloads.map(String));
  });

  it("keeps a message that arrives in one chunk as that chunk's bytes, uncopied", () => {
    const one = framed([Buffer.from("abc")]);
    let piece: Buffer | undefined;
    new MessageReader((pieces) => piece = pieces[0]).push(one);
    expect(piece?.buffer).toBe(one.buffer);
  });

  it("refuses a compressed message", () => {
    const wire = framed([Buffer.from("abc")]);
    wire[0] = 1;
    expect(() => new MessageReader(() => {}).push(wire)).toThrow(/compressed/);
  });
});

describe("memoByPieces", () => {
  it("decodes equal content once, however it was cut, and different content of the same length anew", () => {
    const decoded: string[] = [];
    const decode = memoByPieces((b) => {
      decoded.push(String(b));
      return { text: String(b) };
    });
    const a = Buffer.from("abcdefgh");
    const first = decode([a], 8);
    expect(decode(cut(Buffer.from("abcdefgh"), [3, 5]), 8)).toBe(first);
    const other = decode(cut(Buffer.from("abcdefgX"), [7]), 8);
    expect(other).not.toBe(first);
    expect(other.text).toBe("abcdefgX");
    expect(decoded).toEqual(["abcdefgh", "abcdefgX"]);
  });
});
