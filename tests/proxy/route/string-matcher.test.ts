import { describe, expect, it } from "vitest";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { StringMatcherSchema } from "../../../gen/envoy/type/matcher/v3/string_pb.ts";
import { compileStringMatcher } from "../../../proxy/route/string-matcher.ts";
import { compileRe2 } from "../../../proxy/route/regex.ts";

const matcher = (json: JsonValue) => compileStringMatcher(fromJson(StringMatcherSchema, json), "m");

describe("StringMatcher", () => {
  it("exact / prefix / suffix / contains with and without ignore_case", () => {
    expect(matcher({ exact: "Ab" })("Ab")).toBe(true);
    expect(matcher({ exact: "Ab" })("ab")).toBe(false);
    expect(matcher({ exact: "Ab", ignore_case: true })("aB")).toBe(true);
    expect(matcher({ exact: "Ab", ignore_case: true })("aBc")).toBe(false);
    expect(matcher({ prefix: "AB", ignore_case: true })("abc")).toBe(true);
    expect(matcher({ prefix: "ab", ignore_case: true })("ABC")).toBe(true);
    expect(matcher({ prefix: "ab", ignore_case: true })("xab")).toBe(false);
    expect(matcher({ suffix: "bc", ignore_case: true })("ABC")).toBe(true);
    expect(matcher({ exact: "ab", ignore_case: true })("AB")).toBe(true);
    expect(matcher({ suffix: "BC", ignore_case: true })("abc")).toBe(true);
    expect(matcher({ contains: "B", ignore_case: true })("abc")).toBe(true);
    expect(matcher({ contains: "B" })("abc")).toBe(false);
  });

  it("safe_regex is a full match", () => {
    const m = matcher({ safe_regex: { regex: "a+b" } });
    expect(m("aab")).toBe(true);
    expect(m("aabc")).toBe(false);
    expect(m("xaab")).toBe(false);
  });

  it("rejects a missing pattern", () => {
    expect(() => matcher({})).toThrowError(/^m: one of/);
  });
});

describe("RE2 → JS translation", () => {
  const full = (re: string) => compileRe2(re, "r", "full");

  it("keeps (?m) patterns anchored to the whole input", () => {
    const m = full("(?m)^a$");
    expect(m.test("a")).toBe(true);
    expect(m.test("a\nb")).toBe(false);
  });

  it("supports \\A, \\z, \\x{..}, \\pL, \\p{Greek}, POSIX classes and literal braces", () => {
    expect(full("\\Aab\\z").test("ab")).toBe(true);
    expect(full("\\x{41}").test("A")).toBe(true);
    expect(full("\\pL+").test("héllo")).toBe(true);
    expect(full("\\p{Greek}+").test("αβγ")).toBe(true);
    expect(full("\\p{Greek}+").test("abc")).toBe(false);
    expect(full("[[:alpha:]_]+").test("ab_c")).toBe(true);
    expect(full("[[:alpha:]]+").test("ab1")).toBe(false);
    expect(full("a{").test("a{")).toBe(true);
    expect(full("a{2}").test("aa")).toBe(true);
    expect(full("x\\@y").test("x@y")).toBe(true);
  });

  it("rejects what RE2 rejects or Weft cannot translate", () => {
    expect(() => full("(a)\\1")).toThrowError(/backreferences/);
    expect(() => full("a(?=b)")).toThrowError(/lookaround/);
    expect(() => full("a(?i)b")).toThrowError(/inline flags/);
    expect(() => full("(?U)a+")).toThrowError(/flag "U"/);
    expect(() => full("a{1001}")).toThrowError(/repetition/);
    expect(() => full("[[:^alpha:]]")).toThrowError(/POSIX/);
    expect(() => full("(")).toThrowError(/^r: invalid regex "\("/);
  });
});
