// Validates LB settings read from xDS (ring sizes, Maglev table size, choice count, bias) into plain numbers.
import { WeftError } from "../../errors.ts";
import { isPrime, MAXIMUM_TABLE_SIZE } from "./maglev.ts";
import { MAXIMUM_RING_SIZE } from "./ring-hash.ts";
import type { LoadBalancerOptions } from "./types.ts";

/** The per-cluster part of LoadBalancerOptions (the caller adds `random`). */
export type LoadBalancerSettings = Omit<LoadBalancerOptions, "random">;

export function lbConfigError(path: string, message: string): WeftError {
  return new WeftError("config", `${path}: ${message}`);
}

export function ringHashSettings(
  minimum: bigint | undefined,
  maximum: bigint | undefined,
  path: string,
): LoadBalancerSettings {
  const limit = BigInt(MAXIMUM_RING_SIZE);
  for (const [name, value] of [["minimum_ring_size", minimum], ["maximum_ring_size", maximum]] as const) {
    if (value !== undefined && (value < 1n || value > limit)) {
      throw lbConfigError(`${path}.${name}`, `${value} is outside 1..${limit}`);
    }
  }
  if (minimum !== undefined && maximum !== undefined && minimum > maximum) {
    throw lbConfigError(
      `${path}.minimum_ring_size`,
      `${minimum} is larger than maximum_ring_size ${maximum}`,
    );
  }
  return {
    ...(minimum === undefined ? {} : { minimumRingSize: Number(minimum) }),
    ...(maximum === undefined ? {} : { maximumRingSize: Number(maximum) }),
  };
}

export function maglevSettings(tableSize: bigint | undefined, path: string): LoadBalancerSettings {
  if (tableSize === undefined) return {};
  if (tableSize > BigInt(MAXIMUM_TABLE_SIZE) || !isPrime(Number(tableSize))) {
    throw lbConfigError(
      `${path}.table_size`,
      `${tableSize} must be a prime no larger than ${MAXIMUM_TABLE_SIZE}`,
    );
  }
  return { tableSize: Number(tableSize) };
}

export function choiceCountSettings(choiceCount: number | undefined, path: string): LoadBalancerSettings {
  if (choiceCount === undefined) return {};
  if (choiceCount < 2) throw lbConfigError(`${path}.choice_count`, `${choiceCount} must be at least 2`);
  return { choiceCount };
}

/** active_request_bias is a RuntimeDouble; Weft has no runtime layer, so its default_value is the value. */
export function activeRequestBias(bias: { readonly defaultValue: number } | undefined, path: string): number {
  if (bias === undefined) return 1;
  if (!(bias.defaultValue >= 0) || !Number.isFinite(bias.defaultValue)) {
    throw lbConfigError(`${path}.active_request_bias`, `${bias.defaultValue} must be a finite number ≥ 0`);
  }
  return bias.defaultValue;
}

/** Rejects a set field that would change behaviour in a way Weft does not implement. */
export function rejectIf(condition: boolean, path: string, what: string): void {
  if (condition) throw lbConfigError(path, `${what} is not supported`);
}
