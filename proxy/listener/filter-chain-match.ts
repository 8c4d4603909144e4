// Envoy's FilterChainMatch selection: the most specific filter chain for a new connection's facts.
import { WeftError } from "../errors.ts";
import {
  type FilterChainMatch,
  FilterChainMatch_ConnectionSourceType as SourceType,
} from "../../gen/envoy/config/listener/v3/listener_components_pb.ts";
import { type CidrBlock, ipEquals, isLoopback, longestMatch, parseCidrRange, parseIp } from "./cidr.ts";

/** What the listener knows about a connection once its listener filters (inspectors) have run. */
export interface FilterChainFacts {
  readonly destinationPort: number;
  readonly destinationIp: string;
  /** SNI, lower-case; absent when the client sent none or the connection is not TLS. */
  readonly serverName?: string;
  readonly transportProtocol: "raw_buffer" | "tls";
  /** ALPN (or sniffed http/1.1, h2c) in client preference order. */
  readonly applicationProtocols: readonly string[];
  /** The downstream source (after proxy protocol, if any). */
  readonly sourceIp: string;
  readonly sourcePort: number;
  /** The directly connected peer. */
  readonly directSourceIp: string;
}

export interface FilterChainSelector {
  /** Index of the chosen chain, "default" for the listener's default chain, undefined: close the connection. */
  select(facts: FilterChainFacts): number | "default" | undefined;
  /** Some chain matches on SNI, TLS, or ALPN: run the tls inspector before selecting. */
  readonly needsTlsInspector: boolean;
  /** Some chain matches on http/1.x or h2c over plaintext: run the http inspector before selecting. */
  readonly needsHttpInspector: boolean;
}

interface CompiledMatch {
  readonly port: number; // -1: any
  readonly destination: readonly CidrBlock[];
  readonly serverNames: readonly string[];
  readonly transport: string;
  readonly alpn: readonly string[];
  readonly directSource: readonly CidrBlock[];
  readonly sourceType: SourceType;
  readonly source: readonly CidrBlock[];
  readonly sourcePorts: readonly number[];
}

/** Per-selection scratch state; select() is synchronous, so one per selector is safe to reuse. */
interface Context {
  facts: FilterChainFacts;
  destination: Uint8Array | undefined;
  source: Uint8Array | undefined;
  directSource: Uint8Array | undefined;
}

const NO_MATCH = -1;
const EXACT_SERVER_NAME = 1 << 20; // beats any wildcard, whose score is its suffix length
const HTTP_PLAINTEXT_PROTOCOLS = new Set(["http/1.0", "http/1.1", "h2c"]);

const NO_FACTS: FilterChainFacts = {
  destinationPort: 0,
  destinationIp: "",
  transportProtocol: "raw_buffer",
  applicationProtocols: [],
  sourceIp: "",
  sourcePort: 0,
  directSourceIp: "",
};

type Step = (m: CompiledMatch, ctx: Context) => number;

// Envoy's documented order. A step scores each candidate: NO_MATCH drops it, 0 means the chain does
// not use this criterion (the fallback), higher is more specific; only the best score survives.
const STEPS: readonly [keyof CompiledMatch, Step][] = [
  ["port", (m, ctx) => m.port < 0 ? 0 : m.port === ctx.facts.destinationPort ? 1 : NO_MATCH],
  ["destination", (m, ctx) => scoreRanges(m.destination, ctx.destination)],
  ["serverNames", (m, ctx) => scoreServerName(m.serverNames, ctx.facts.serverName)],
  [
    "transport",
    (m, ctx) => m.transport === "" ? 0 : m.transport === ctx.facts.transportProtocol ? 1 : NO_MATCH,
  ],
  ["alpn", (m, ctx) => scoreAlpn(m.alpn, ctx.facts.applicationProtocols)],
  ["directSource", (m, ctx) => scoreRanges(m.directSource, ctx.directSource)],
  ["sourceType", scoreSourceType],
  ["source", (m, ctx) => scoreRanges(m.source, ctx.source)],
  [
    "sourcePorts",
    (m, ctx) => m.sourcePorts.length === 0 ? 0 : m.sourcePorts.includes(ctx.facts.sourcePort) ? 1 : NO_MATCH,
  ],
];

/** Compiles the chains' matches once (throws WeftError("config") on invalid or ambiguous matches). */
export function createFilterChainSelector(
  chains: readonly { readonly match?: FilterChainMatch }[],
  hasDefault: boolean,
): FilterChainSelector {
  const compiled = chains.map((chain, i) =>
    compileMatch(chain.match, `filter_chains[${i}].filter_chain_match`)
  );
  checkAmbiguity(compiled);
  // Steps no chain uses cannot change the outcome: skip them (and the address parsing they need).
  const used = new Set(STEPS.filter(([key]) => compiled.some((m) => isUsed(m, key))).map(([key]) => key));
  const steps = STEPS.filter(([key]) => used.has(key)).map(([, step]) => step);
  const needDestination = used.has("destination") || used.has("sourceType");
  const needSource = used.has("source") || used.has("sourceType");
  const candidates = new Int32Array(compiled.length);
  const scores = new Int32Array(compiled.length);
  const ctx: Context = {
    facts: NO_FACTS,
    destination: undefined,
    source: undefined,
    directSource: undefined,
  };
  const fallback = hasDefault ? "default" as const : undefined;

  return {
    needsTlsInspector: compiled.some(needsTls),
    needsHttpInspector: compiled.some((m) =>
      m.transport !== "tls" && m.alpn.some((p) => HTTP_PLAINTEXT_PROTOCOLS.has(p))
    ),
    select(facts) {
      ctx.facts = facts;
      ctx.destination = needDestination ? parseIp(facts.destinationIp) : undefined;
      ctx.source = needSource ? parseIp(facts.sourceIp) : undefined;
      ctx.directSource = used.has("directSource") ? parseIp(facts.directSourceIp) : undefined;
      let count = compiled.length;
      for (let i = 0; i < count; i++) candidates[i] = i;
      for (let s = 0; s < steps.length && count > 0; s++) {
        let best = NO_MATCH;
        for (let k = 0; k < count; k++) {
          const score = steps[s](compiled[candidates[k]], ctx);
          scores[k] = score;
          if (score > best) best = score;
        }
        let kept = 0;
        if (best !== NO_MATCH) {
          for (let k = 0; k < count; k++) if (scores[k] === best) candidates[kept++] = candidates[k];
        }
        count = kept;
      }
      // checkAmbiguity guarantees at most one survivor.
      return count > 0 ? candidates[0] : fallback;
    },
  };
}

function scoreRanges(ranges: readonly CidrBlock[], ip: Uint8Array | undefined): number {
  if (ranges.length === 0) return 0;
  if (ip === undefined) return NO_MATCH;
  const best = longestMatch(ranges, ip);
  return best < 0 ? NO_MATCH : best + 1; // an explicit /0 still beats "no ranges"
}

function scoreServerName(names: readonly string[], serverName: string | undefined): number {
  if (names.length === 0) return 0;
  if (serverName === undefined || serverName === "") return NO_MATCH;
  let best = NO_MATCH;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (name === serverName) return EXACT_SERVER_NAME;
    // "*.example.com" matches any name ending in ".example.com" with at least one more character.
    if (
      name.charCodeAt(0) === 42 && serverName.length > name.length - 1 && serverName.endsWith(name.slice(1))
    ) {
      if (name.length - 1 > best) best = name.length - 1;
    }
  }
  return best;
}

/** The client's first offered protocol that any chain lists wins (Envoy walks the client's list). */
function scoreAlpn(alpn: readonly string[], offered: readonly string[]): number {
  if (alpn.length === 0) return 0;
  for (let k = 0; k < offered.length; k++) if (alpn.includes(offered[k])) return offered.length - k;
  return NO_MATCH;
}

function scoreSourceType(m: CompiledMatch, ctx: Context): number {
  if (m.sourceType === SourceType.ANY) return 0;
  // Envoy's isSameIpOrLoopback; like Envoy, a non-IP peer (a pipe) counts as local.
  const src = ctx.source;
  const local = src === undefined || isLoopback(src) ||
    (ctx.destination !== undefined && ipEquals(src, ctx.destination));
  return (m.sourceType === SourceType.SAME_IP_OR_LOOPBACK) === local ? 1 : NO_MATCH;
}

function isUsed(m: CompiledMatch, key: keyof CompiledMatch): boolean {
  const value = m[key];
  if (typeof value === "number") return key === "port" ? value >= 0 : value !== SourceType.ANY;
  return value.length > 0;
}

function needsTls(m: CompiledMatch): boolean {
  if (m.transport === "tls") return true;
  if (m.transport !== "") return false;
  return m.serverNames.length > 0 || m.alpn.some((p) => p !== "h2c");
}

function compileMatch(match: FilterChainMatch | undefined, field: string): CompiledMatch {
  if (match === undefined) {
    return {
      port: -1,
      destination: [],
      serverNames: [],
      transport: "",
      alpn: [],
      directSource: [],
      sourceType: SourceType.ANY,
      source: [],
      sourcePorts: [],
    };
  }
  if (match.addressSuffix !== "" || match.suffixLen !== undefined) {
    throw new WeftError("config", `${field}.address_suffix/suffix_len is not supported`);
  }
  const port = match.destinationPort;
  if (port !== undefined) checkPort(port, `${field}.destination_port`);
  match.sourcePorts.forEach((p, i) => checkPort(p, `${field}.source_ports[${i}]`));
  if (!(match.sourceType in SourceType)) {
    throw new WeftError("config", `${field}.source_type ${match.sourceType} is not valid`);
  }
  return {
    port: port ?? -1,
    destination: match.prefixRanges.map((r, i) => parseCidrRange(r, `${field}.prefix_ranges[${i}]`)),
    serverNames: match.serverNames.map((name, i) => checkServerName(name, `${field}.server_names[${i}]`)),
    transport: match.transportProtocol,
    alpn: match.applicationProtocols,
    directSource: match.directSourcePrefixRanges.map((r, i) =>
      parseCidrRange(r, `${field}.direct_source_prefix_ranges[${i}]`)
    ),
    sourceType: match.sourceType,
    source: match.sourcePrefixRanges.map((r, i) => parseCidrRange(r, `${field}.source_prefix_ranges[${i}]`)),
    sourcePorts: match.sourcePorts,
  };
}

function checkPort(port: number, field: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new WeftError("config", `${field}: ${port} is not a port`);
  }
}

function checkServerName(name: string, field: string): string {
  const lower = name.toLowerCase();
  const star = lower.indexOf("*");
  if (lower === "" || lower === "*") {
    throw new WeftError("config", `${field}: "${name}" is not supported; omit server_names instead`);
  }
  if (star >= 0 && (star !== 0 || lower[1] !== "." || lower.length < 3 || lower.indexOf("*", 1) >= 0)) {
    throw new WeftError("config", `${field}: partial wildcards are not supported in "${name}"`);
  }
  return lower;
}

/**
 * Envoy guarantees at most one chain survives selection. Chains whose values intersect on every
 * criterion could both survive, so they are rejected: identical matches, or overlapping ones.
 */
function checkAmbiguity(compiled: readonly CompiledMatch[]): void {
  const dims = compiled.map(dimensions);
  for (let j = 1; j < dims.length; j++) {
    for (let i = 0; i < j; i++) {
      if (!dims[i].every((d, k) => intersects(d, dims[j][k]))) continue;
      const same = dims[i].every((d, k) => sameSet(d, dims[j][k]));
      throw new WeftError(
        "config",
        same
          ? `filter_chains[${i}] and filter_chains[${j}] have the same filter_chain_match`
          : `filter_chains[${i}] and filter_chains[${j}] have overlapping filter_chain_match (one connection could match both)`,
      );
    }
  }
}

/** Each criterion as a set of keys; an unused criterion is the single key "" (its own value). */
function dimensions(m: CompiledMatch): string[][] {
  const keys = (values: readonly (string | number)[]): string[] =>
    values.length === 0 ? [""] : values.map(String);
  return [
    keys(m.port < 0 ? [] : [m.port]),
    keys(m.destination.map((b) => b.key)),
    keys(m.serverNames),
    [m.transport],
    keys(m.alpn),
    keys(m.directSource.map((b) => b.key)),
    [String(m.sourceType)],
    keys(m.source.map((b) => b.key)),
    keys(m.sourcePorts),
  ];
}

function intersects(a: readonly string[], b: readonly string[]): boolean {
  return a.some((x) => b.includes(x));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.every((x) => b.includes(x)) && b.every((x) => a.includes(x));
}
