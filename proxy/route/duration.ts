// google.protobuf.Duration → milliseconds, validated (the route table's timeouts and back-offs).
import type { Duration } from "@bufbuild/protobuf/wkt";
import { configError } from "./config-error.ts";

/**
 * Converts a proto Duration to whole milliseconds (truncating sub-millisecond nanos, as Envoy does).
 * Returns `fallback` when the field is unset. Negative durations are a config error naming `path`.
 */
export function durationToMs(duration: Duration | undefined, path: string): number | undefined;
export function durationToMs(duration: Duration | undefined, path: string, fallback: number): number;
export function durationToMs(
  duration: Duration | undefined,
  path: string,
  fallback?: number,
): number | undefined {
  if (duration === undefined) return fallback;
  const ms = Number(duration.seconds) * 1000 + Math.trunc(duration.nanos / 1_000_000);
  if (ms < 0 || duration.nanos < 0) throw configError(path, "duration must not be negative");
  return ms;
}
