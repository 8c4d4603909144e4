// Converts google.protobuf.Duration messages to milliseconds.
import type { Duration } from "@bufbuild/protobuf/wkt";

export function durationMs(d: Duration | undefined, fallbackMs: number): number {
  if (!d) return fallbackMs;
  return Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6);
}
