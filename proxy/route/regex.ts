// Translates Envoy's RE2 regexes (safe_regex, regex_rewrite) into JS RegExps once, at config time.
import type { RegexMatchAndSubstitute, RegexMatcher } from "../../gen/envoy/type/matcher/v3/regex_pb.ts";
import { configError } from "./config-error.ts";

const START = "(?<![\\s\\S])"; // RE2 \A: start of text, whatever the flags
const END = "(?![\\s\\S])"; // RE2 \z: end of text
const JS_SYNTAX = "^$\\.*+?()[]{}|/";
const REPEAT = /^\{(\d+)(,(\d*))?\}/;
const POSIX: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7f",
  blank: "\\t ",
  cntrl: "\\x00-\\x1f\\x7f",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

/**
 * A full-match RegExp for an RE2 pattern: `^(?:…)$` semantics (the whole input must match).
 * Invalid patterns, and JS-only features RE2 rejects (backreferences, lookaround), are config
 * errors naming `path`.
 */
export function compileFullMatch(matcher: RegexMatcher, path: string): RegExp {
  return compileRe2(matcher.regex, `${path}.regex`, "full");
}

/** A global RegExp plus a JS replacement string for RegexMatchAndSubstitute (RE2 GlobalReplace). */
export interface CompiledSubstitution {
  readonly pattern: RegExp;
  readonly replacement: string;
}

export function compileSubstitution(rewrite: RegexMatchAndSubstitute, path: string): CompiledSubstitution {
  if (rewrite.pattern === undefined) throw configError(`${path}.pattern`, "a pattern is required");
  const pattern = compileRe2(rewrite.pattern.regex, `${path}.pattern.regex`, "global");
  const groups = new RegExp(`${pattern.source}|`, pattern.flags.replace("g", "")).exec("")!.length - 1;
  return {
    pattern,
    replacement: translateSubstitution(rewrite.substitution, groups, `${path}.substitution`),
  };
}

/** Compiles one RE2 pattern; `mode` "full" anchors it, "global" finds every match. */
export function compileRe2(pattern: string, path: string, mode: "full" | "global"): RegExp {
  let flags = "u";
  let body = pattern;
  for (
    let m = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)/.exec(body);
    m;
    m = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)/.exec(body)
  ) {
    for (const f of m[1]) {
      if (f === "U" || !"ims".includes(f)) {
        throw configError(path, `unsupported regex flag "${f}" in "${pattern}"`);
      }
      if (!flags.includes(f)) flags += f;
    }
    body = body.slice(m[0].length);
  }
  let source: string;
  try {
    source = translate(body);
  } catch (err) {
    throw configError(path, `invalid regex "${pattern}": ${(err as Error).message}`);
  }
  if (mode === "full") {
    source = flags.includes("m") ? `${START}(?:${source})${END}` : `^(?:${source})$`;
  } else {
    flags += "g";
  }
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw configError(path, `invalid regex "${pattern}": ${(err as Error).message}`, err);
  }
}

function translate(re: string): string {
  let out = "";
  let i = 0;
  while (i < re.length) {
    const c = re[i];
    if (c === "\\") {
      const [text, next] = translateEscape(re, i, false);
      out += text;
      i = next;
    } else if (c === "[") {
      const [text, next] = translateClass(re, i);
      out += text;
      i = next;
    } else if (c === "(" && re[i + 1] === "?") {
      const rest = re.slice(i + 2);
      if (rest.startsWith("P<")) {
        out += "(?<";
        i += 4;
      } else if (rest.startsWith(":") || /^<[A-Za-z_]/.test(rest)) {
        out += "(?";
        i += 2;
      } else if (/^(=|!|<=|<!)/.test(rest)) {
        throw new Error("lookaround is not supported by RE2");
      } else {
        throw new Error("inline flags are only supported at the start of the pattern");
      }
    } else if (c === "{") {
      const m = REPEAT.exec(re.slice(i));
      if (m && i > 0) {
        if (Number(m[1]) > 1000 || (m[3] !== undefined && m[3] !== "" && Number(m[3]) > 1000)) {
          throw new Error("bad repetition operator (max 1000)");
        }
        out += m[0];
        i += m[0].length;
      } else {
        out += "\\{";
        i++;
      }
    } else if (c === "}" || c === "]") {
      out += `\\${c}`;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** One escape sequence starting at `re[i] === "\\"`; returns the JS text and the next index. */
function translateEscape(re: string, i: number, inClass: boolean): [string, number] {
  const c = re[i + 1];
  if (c === undefined) throw new Error("trailing backslash");
  switch (c) {
    case "Q": {
      const end = re.indexOf("\\E", i + 2);
      const literal = re.slice(i + 2, end < 0 ? re.length : end);
      return [[...literal].map((ch) => escapeLiteral(ch, inClass)).join(""), end < 0 ? re.length : end + 2];
    }
    case "E":
      return ["", i + 2];
    case "A":
      if (inClass) throw new Error("\\A inside a character class");
      return [START, i + 2];
    case "z":
      if (inClass) throw new Error("\\z inside a character class");
      return [END, i + 2];
    case "a":
      return ["\\x07", i + 2];
    case "C":
    case "Z":
      throw new Error(`\\${c} is not supported by RE2`);
    case "x": {
      if (re[i + 2] === "{") {
        const close = re.indexOf("}", i + 3);
        if (close < 0) throw new Error("missing } in \\x{…}");
        return [`\\u{${re.slice(i + 3, close)}}`, close + 1];
      }
      return [`\\x${re.slice(i + 2, i + 4)}`, i + 4];
    }
    case "p":
    case "P": {
      let name: string;
      let next: number;
      if (re[i + 2] === "{") {
        const close = re.indexOf("}", i + 3);
        if (close < 0) throw new Error("missing } in \\p{…}");
        name = re.slice(i + 3, close);
        next = close + 1;
      } else {
        name = re[i + 2] ?? "";
        next = i + 3;
      }
      let negate = c === "P";
      if (name.startsWith("^")) {
        negate = !negate;
        name = name.slice(1);
      }
      const property = name === "Any" ? "Any" : /^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`;
      return [`\\${negate ? "P" : "p"}{${property}}`, next];
    }
  }
  if (c >= "1" && c <= "9") throw new Error("backreferences are not supported by RE2");
  if (/[0-9A-Za-z]/.test(c)) return [`\\${c}`, i + 2];
  return [escapeLiteral(c, inClass), i + 2];
}

/** A literal character, escaped so JS (unicode mode) reads it literally in or out of a class. */
function escapeLiteral(ch: string, inClass: boolean): string {
  if (JS_SYNTAX.includes(ch) || (inClass && ch === "-")) return `\\${ch}`;
  if (ch.charCodeAt(0) < 0x80 && !/[0-9A-Za-z\s]/.test(ch)) {
    return `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
  }
  return ch;
}

/** A bracket expression starting at `re[i] === "["`, with POSIX classes expanded. */
function translateClass(re: string, i: number): [string, number] {
  let out = "[";
  let j = i + 1;
  if (re[j] === "^") {
    out += "^";
    j++;
  }
  let first = true;
  while (j < re.length) {
    const c = re[j];
    if (c === "]" && !first) return [out + "]", j + 1];
    first = false;
    if (c === "[" && re[j + 1] === ":") {
      const close = re.indexOf(":]", j + 2);
      const name = close < 0 ? "" : re.slice(j + 2, close);
      const ranges = POSIX[name];
      if (ranges === undefined) throw new Error(`unsupported POSIX class "[:${name}:]"`);
      out += ranges;
      j = close + 2;
    } else if (c === "\\") {
      const [text, next] = translateEscape(re, j, true);
      out += text;
      j = next;
    } else {
      out += c === "[" || c === "]" ? `\\${c}` : c;
      j++;
    }
  }
  throw new Error("missing closing ]");
}

/** RE2 rewrite string → JS replacement: `\1` → `$01`, `\0` → `$&`, `\\` → `\`, `$` → `$$`. */
function translateSubstitution(sub: string, groups: number, path: string): string {
  let out = "";
  for (let i = 0; i < sub.length; i++) {
    const c = sub[i];
    if (c === "$") {
      out += "$$";
    } else if (c !== "\\") {
      out += c;
    } else {
      const n = sub[++i];
      if (n === "\\") {
        out += "\\";
      } else if (n !== undefined && n >= "0" && n <= "9") {
        if (Number(n) > groups) throw configError(path, `\\${n} refers to a group the pattern does not have`);
        out += n === "0" ? "$&" : `$0${n}`; // two digits: "\\12" is group 1 then "2"
      } else {
        throw configError(path, `invalid escape "\\${n ?? ""}" (use \\0-\\9 or \\\\)`);
      }
    }
  }
  return out;
}
