// envoy.config.route.v3.HeaderMatcher compiled into a predicate over a request's headers.
import type { HeaderMatcher } from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import { configError } from "./config-error.ts";
import { compileFullMatch } from "./regex.ts";
import type { RequestView } from "./request-view.ts";
import { compileLiteral, compileStringMatcher, type StringMatch } from "./string-matcher.ts";

/** A compiled HeaderMatcher. */
export interface CompiledHeaderMatcher {
  /** Lower-case header name (pseudo-headers such as `:method` keep their colon). */
  readonly name: string;
  /** Tests a present value (repeated values already joined with ","). */
  readonly test: StringMatch;
  readonly invert: boolean;
  readonly treatMissingAsEmpty: boolean;
  /** Result when the header is absent and not treated as empty (Envoy: only present_match can match). */
  readonly whenMissing: boolean;
}

const ANY: StringMatch = () => true;
const NONE: StringMatch = () => false;
const INTEGER = /^[+-]?\d+$/;

/**
 * Compiles a HeaderMatcher with Envoy's semantics: string_match (and the deprecated exact_match,
 * prefix_match, suffix_match, contains_match, safe_regex_match), present_match, range_match
 * ([start, end) over a base-10 integer value), invert_match and treat_missing_header_as_empty.
 * No specifier means present_match: true.
 */
export function compileHeaderMatcher(m: HeaderMatcher, path: string): CompiledHeaderMatcher {
  const name = m.name.toLowerCase();
  if (name === "") throw configError(`${path}.name`, "a header name is required");
  const spec = m.headerMatchSpecifier;
  let test: StringMatch;
  let present: boolean | undefined;
  switch (spec.case) {
    case "stringMatch":
      test = compileStringMatcher(spec.value, `${path}.string_match`);
      break;
    case "exactMatch":
      // Envoy's legacy exact_match: an empty value matches any value.
      test = spec.value === "" ? ANY : compileLiteral("exact", spec.value, false);
      break;
    case "prefixMatch":
      test = compileLiteral("prefix", spec.value, false);
      break;
    case "suffixMatch":
      test = compileLiteral("suffix", spec.value, false);
      break;
    case "containsMatch":
      test = compileLiteral("contains", spec.value, false);
      break;
    case "safeRegexMatch": {
      const re = compileFullMatch(spec.value, `${path}.safe_regex_match`);
      test = (v) => re.test(v);
      break;
    }
    case "rangeMatch": {
      const { start, end } = spec.value;
      if (start >= end) throw configError(`${path}.range_match`, "start must be less than end");
      test = (v) => {
        if (!INTEGER.test(v)) return false;
        const n = BigInt(v);
        return n >= start && n < end;
      };
      break;
    }
    case "presentMatch":
      present = spec.value;
      test = present ? ANY : NONE;
      break;
    default:
      present = true;
      test = ANY;
  }
  const invert = m.invertMatch;
  return {
    name,
    test,
    invert,
    treatMissingAsEmpty: m.treatMissingHeaderAsEmpty,
    whenMissing: present !== undefined && (invert ? present : !present),
  };
}

/** True when every matcher accepts the request (an empty list matches). */
export function matchHeaders(matchers: readonly CompiledHeaderMatcher[], req: RequestView): boolean {
  for (let i = 0; i < matchers.length; i++) {
    const m = matchers[i];
    const value = req.header(m.name);
    if (value === undefined && !m.treatMissingAsEmpty) {
      if (!m.whenMissing) return false;
    } else if (m.test(value ?? "") === m.invert) {
      return false;
    }
  }
  return true;
}
