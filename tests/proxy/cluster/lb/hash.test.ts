import { describe, expect, it } from "vitest";
import { combineHash, hash32 } from "../../../../proxy/cluster/lb/hash.ts";

describe("hash32 (MurmurHash3 x86 32-bit)", () => {
  it("matches the reference vectors", () => {
    expect(hash32("hello")).toBe(0x248bfa47);
    expect(hash32("")).toBe(0);
    expect(hash32("", 1)).toBe(0x514e28b7);
    expect(hash32("The quick brown fox jumps over the lazy dog")).toBe(0x2e4ff723);
  });

  it("covers every tail length and hashes strings as UTF-8", () => {
    expect(hash32("a")).toBe(0x3c2569b2);
    expect(hash32("ab")).toBe(0x9bbfd75f);
    expect(hash32("abc")).toBe(0xb3dd93fa);
    expect(hash32("abcd")).toBe(0x43ed676a);
    expect(hash32("é")).toBe(hash32(new Uint8Array([0xc3, 0xa9])));
  });

  it("combineHash is order-sensitive and deterministic", () => {
    expect(combineHash(1, 2)).toBe(combineHash(1, 2));
    expect(combineHash(1, 2)).not.toBe(combineHash(2, 1));
  });
});
