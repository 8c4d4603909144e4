// Istio durations ("10s", "1m30s", "250ms") in milliseconds: Go duration syntax, no protobuf needed.
const UNIT_MS: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  ns: 1e-6,
};

/**
 * Parses an Istio duration ("10s", "0.5s", "1m30s", "250ms") into milliseconds; undefined when malformed.
 * Istio accepts Go duration syntax, which is a superset of protobuf JSON's "<seconds>s".
 */
export function parseDurationMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(h|ms|us|ns|m|s)/gy;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(trimmed)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    consumed = re.lastIndex;
  }
  return consumed === trimmed.length && consumed > 0 ? total : undefined;
}
