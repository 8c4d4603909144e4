// envoy.type.matcher.v3.StringMatcher compiled once into a predicate over a string.
import type { StringMatcher } from "../../gen/envoy/type/matcher/v3/string_pb.ts";
import { configError } from "./config-error.ts";
import { compileFullMatch } from "./regex.ts";

/** A compiled string predicate. */
export type StringMatch = (value: string) => boolean;

/**
 * Compiles a StringMatcher: exact / prefix / suffix / contains (honouring `ignore_case`, ASCII
 * case-folding as Envoy does) and safe_regex (full match; `ignore_case` has no effect). `custom`
 * extensions and a missing pattern are config errors naming `path`.
 */
export function compileStringMatcher(matcher: StringMatcher, path: string): StringMatch {
  const pattern = matcher.matchPattern;
  switch (pattern.case) {
    case "exact":
      return compileLiteral("exact", pattern.value, matcher.ignoreCase);
    case "prefix":
      return compileLiteral("prefix", pattern.value, matcher.ignoreCase);
    case "suffix":
      return compileLiteral("suffix", pattern.value, matcher.ignoreCase);
    case "contains":
      return compileLiteral("contains", pattern.value, matcher.ignoreCase);
    case "safeRegex": {
      const re = compileFullMatch(pattern.value, `${path}.safe_regex`);
      return (value) => re.test(value);
    }
    case "custom":
      throw configError(`${path}.custom`, "custom string matchers are not supported");
    default:
      throw configError(path, "one of exact, prefix, suffix, contains or safe_regex is required");
  }
}

/** The literal kinds shared by StringMatcher and the legacy HeaderMatcher fields. */
export type LiteralKind = "exact" | "prefix" | "suffix" | "contains";

export function compileLiteral(kind: LiteralKind, literal: string, ignoreCase: boolean): StringMatch {
  if (ignoreCase) {
    const lower = asciiLower(literal);
    switch (kind) {
      case "exact":
        return (v) => v.length === lower.length && asciiLower(v) === lower;
      case "prefix":
        return (v) => v.length >= lower.length && asciiLower(v.slice(0, lower.length)) === lower;
      case "suffix":
        return (v) => v.length >= lower.length && asciiLower(v.slice(v.length - lower.length)) === lower;
      case "contains":
        return (v) => asciiLower(v).includes(lower);
    }
  }
  switch (kind) {
    case "exact":
      return (v) => v === literal;
    case "prefix":
      return (v) => v.startsWith(literal);
    case "suffix":
      return (v) => v.endsWith(literal);
    case "contains":
      return (v) => v.includes(literal);
  }
}

const UPPER = /[A-Z]/;
const UPPER_RUNS = /[A-Z]+/g;
const lowerRun = (run: string): string => run.toLowerCase();

/** Lower-cases ASCII letters only (Envoy's case folding); returns the same string when there are none. */
export function asciiLower(value: string): string {
  return UPPER.test(value) ? value.replace(UPPER_RUNS, lowerRun) : value;
}
