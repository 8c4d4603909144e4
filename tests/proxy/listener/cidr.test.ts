// Tests for IP parsing and CIDR matching (IPv4, IPv6, IPv4-mapped IPv6, longest prefix).
import { describe, expect, it } from "vitest";
import {
  cidrContains,
  formatIp,
  ipEquals,
  isLoopback,
  longestMatch,
  parseCidrRange,
  parseIp,
} from "../../../proxy/listener/cidr.ts";
import { isWeftError } from "../../../proxy/errors.ts";

const ip = (text: string): Uint8Array => {
  const parsed = parseIp(text);
  if (parsed === undefined) throw new Error(`bad test address ${text}`);
  return parsed;
};
const cidr = (text: string) => {
  const [addressPrefix, len] = text.split("/");
  return parseCidrRange({ addressPrefix, prefixLen: Number(len) });
};

describe("parseIp", () => {
  it("parses dotted quads strictly", () => {
    expect([...ip("192.168.1.20")]).toEqual([192, 168, 1, 20]);
    expect([...ip("0.0.0.0")]).toEqual([0, 0, 0, 0]);
    for (
      const bad of [
        "",
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "01.2.3.4",
        "1..2.3",
        "1.2.3.4.",
        "a.b.c.d",
        " 1.2.3.4",
      ]
    ) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it("parses IPv6 with compression, embedded IPv4 and zones", () => {
    expect(formatIp(ip("::"))).toBe("0:0:0:0:0:0:0:0");
    expect(formatIp(ip("::1"))).toBe("0:0:0:0:0:0:0:1");
    expect(formatIp(ip("2001:DB8::8:800:200C:417A"))).toBe("2001:db8:0:0:8:800:200c:417a");
    expect(formatIp(ip("fe80::1%eth0"))).toBe("fe80:0:0:0:0:0:0:1");
    expect(formatIp(ip("1:2:3:4:5:6:7:8"))).toBe("1:2:3:4:5:6:7:8");
    expect(formatIp(ip("1::"))).toBe("1:0:0:0:0:0:0:0");
    expect([...ip("::ffff:10.0.0.1").subarray(10)]).toEqual([0xff, 0xff, 10, 0, 0, 1]);
    expect([...ip("1:2:3:4:5:6:1.2.3.4").subarray(12)]).toEqual([1, 2, 3, 4]);
    for (
      const bad of [
        ":::",
        "1:::2",
        "1::2::3",
        "12345::",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7:8::",
        "::g",
        ":1::",
        "1.2.3.4::",
        "::1.2.3",
      ]
    ) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });
});

describe("parseCidrRange", () => {
  it("masks host bits and gives equal blocks equal keys", () => {
    expect(cidr("10.1.2.3/16").key).toBe("10.1.0.0/16");
    expect(cidr("10.1.255.255/16").key).toBe(cidr("10.1.0.0/16").key);
    expect(cidr("2001:db8:ffff::1/32").key).toBe("2001:db8:0:0:0:0:0:0/32");
    expect(cidr("10.1.2.3/13").key).toBe("10.0.0.0/13");
    expect(parseCidrRange({ addressPrefix: "10.0.0.1" }).prefixLen).toBe(0); // unset prefix_len is 0
  });

  it("rejects bad addresses and out-of-range prefix lengths as config errors", () => {
    for (
      const range of [
        { addressPrefix: "10.0.0.0", prefixLen: 33 },
        { addressPrefix: "::", prefixLen: 129 },
        { addressPrefix: "example.com", prefixLen: 8 },
        { addressPrefix: "fe80::%eth0", prefixLen: 64 },
      ]
    ) {
      let error: unknown;
      try {
        parseCidrRange(range, "prefix_ranges[0]");
      } catch (e) {
        error = e;
      }
      expect(isWeftError(error, "config"), JSON.stringify(range)).toBe(true);
      expect(String(error)).toContain("prefix_ranges[0]");
    }
  });
});

describe("cidrContains / longestMatch", () => {
  it("matches IPv4 on whole and partial bytes", () => {
    expect(cidrContains(cidr("10.0.0.0/8"), ip("10.200.3.4"))).toBe(true);
    expect(cidrContains(cidr("10.0.0.0/8"), ip("11.0.0.1"))).toBe(false);
    expect(cidrContains(cidr("192.168.0.0/13"), ip("192.175.255.255"))).toBe(true);
    expect(cidrContains(cidr("192.168.0.0/13"), ip("192.176.0.0"))).toBe(false);
    expect(cidrContains(cidr("1.2.3.4/32"), ip("1.2.3.4"))).toBe(true);
    expect(cidrContains(cidr("1.2.3.4/32"), ip("1.2.3.5"))).toBe(false);
    expect(cidrContains(cidr("0.0.0.0/0"), ip("203.0.113.9"))).toBe(true);
  });

  it("matches IPv6, and IPv4 blocks against IPv4-mapped IPv6 peers", () => {
    expect(cidrContains(cidr("2001:db8::/32"), ip("2001:db8:1::5"))).toBe(true);
    expect(cidrContains(cidr("2001:db8::/33"), ip("2001:db8:8000::1"))).toBe(false);
    expect(cidrContains(cidr("::/0"), ip("1.2.3.4"))).toBe(false); // families differ
    expect(cidrContains(cidr("10.0.0.0/8"), ip("::ffff:10.9.8.7"))).toBe(true);
    expect(cidrContains(cidr("10.0.0.0/8"), ip("::10.9.8.7"))).toBe(false); // not mapped
  });

  it("returns the longest matching prefix length", () => {
    const blocks = [cidr("10.0.0.0/8"), cidr("10.1.0.0/16"), cidr("10.1.2.0/24"), cidr("2001:db8::/32")];
    expect(longestMatch(blocks, ip("10.1.2.3"))).toBe(24);
    expect(longestMatch(blocks, ip("10.1.3.3"))).toBe(16);
    expect(longestMatch(blocks, ip("10.2.0.0"))).toBe(8);
    expect(longestMatch(blocks, ip("11.0.0.0"))).toBe(-1);
    expect(longestMatch(blocks, ip("2001:db8::1"))).toBe(32);
  });
});

describe("isLoopback / ipEquals", () => {
  it("knows loopback addresses in both families", () => {
    expect(isLoopback(ip("127.0.0.1"))).toBe(true);
    expect(isLoopback(ip("127.10.0.1"))).toBe(true);
    expect(isLoopback(ip("::1"))).toBe(true);
    expect(isLoopback(ip("::ffff:127.0.0.1"))).toBe(true);
    expect(isLoopback(ip("10.0.0.1"))).toBe(false);
    expect(isLoopback(ip("::2"))).toBe(false);
  });

  it("compares addresses across the IPv4-mapped form", () => {
    expect(ipEquals(ip("10.0.0.1"), ip("::ffff:10.0.0.1"))).toBe(true);
    expect(ipEquals(ip("::ffff:10.0.0.1"), ip("10.0.0.1"))).toBe(true);
    expect(ipEquals(ip("10.0.0.1"), ip("10.0.0.2"))).toBe(false);
    expect(ipEquals(ip("10.0.0.1"), ip("::a00:1"))).toBe(false);
    expect(ipEquals(ip("2001:db8::1"), ip("2001:db8:0::1"))).toBe(true);
  });
});
