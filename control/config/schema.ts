// A small declarative schema for config messages: field types, enums, oneofs, unknown-field rejection.
import { didYouMean } from "../../proxy/config/suggest.ts";
import { isPlainObject } from "./parse.ts";
import { field } from "./problem.ts";

/** Where checks report: `field` is the full path from the document root. */
export interface Reporter {
  error(fieldPath: string, message: string, code?: string): void;
  warn(fieldPath: string, message: string, code?: string): void;
}

export type FieldType =
  | "string"
  | "int"
  | "uint"
  | "number"
  | "bool"
  | "duration"
  /** Anything (checked elsewhere, or not at all). */
  | "any"
  | { readonly list: FieldType }
  | { readonly map: FieldType }
  | { readonly enum: readonly string[] }
  | MessageSchema;

export interface MessageSchema {
  readonly fields: Readonly<Record<string, FieldType>>;
  /** Groups of fields of which at most one may be set (proto oneofs). */
  readonly oneofs?: readonly (readonly string[])[];
  /** Unknown fields are allowed (Kubernetes kinds that carry much we don't read). */
  readonly open?: boolean;
}

export const STRING_MAP: FieldType = { map: "string" };
export const STRING_LIST: FieldType = { list: "string" };

/** Checks types, enum values, oneofs and unknown fields; `null` counts as unset, as in protobuf JSON. */
export function checkShape(value: unknown, type: FieldType, path: string, report: Reporter): void {
  if (value === null || value === undefined) return;
  if (typeof type === "string") {
    checkScalar(value, type, path, report);
    return;
  }
  if ("list" in type) {
    if (!Array.isArray(value)) return report.error(path, `must be a list, got ${describe(value)}`);
    value.forEach((item, i) => checkShape(item, type.list, field(path, i), report));
    return;
  }
  if ("map" in type) {
    if (!isPlainObject(value)) return report.error(path, `must be a map, got ${describe(value)}`);
    for (const [k, v] of Object.entries(value)) {
      if (v === null) report.error(field(path, k), "must not be null");
      else checkShape(v, type.map, field(path, k), report);
    }
    return;
  }
  if ("enum" in type) {
    if (typeof value !== "string" || !type.enum.includes(value)) {
      report.error(path, `must be one of ${type.enum.join(", ")}, got ${describe(value)}`);
    }
    return;
  }
  checkMessage(value, type, path, report);
}

function checkMessage(value: unknown, schema: MessageSchema, path: string, report: Reporter): void {
  if (!isPlainObject(value)) return report.error(path, `must be an object, got ${describe(value)}`);
  const known = Object.keys(schema.fields);
  for (const [k, v] of Object.entries(value)) {
    const type = schema.fields[k];
    if (type === undefined) {
      if (!schema.open) report.error(field(path, k), `unknown field "${k}"${didYouMean(k, known)}`);
      continue;
    }
    checkShape(v, type, field(path, k), report);
  }
  for (const group of schema.oneofs ?? []) {
    const set = group.filter((name) => value[name] !== undefined && value[name] !== null);
    if (set.length > 1) {
      report.error(
        field(path, set[1]),
        `only one of ${group.join(", ")} may be set (found ${set.join(" and ")})`,
      );
    }
  }
}

function checkScalar(value: unknown, type: string, path: string, report: Reporter): void {
  switch (type) {
    case "string":
      if (typeof value !== "string") report.error(path, `must be a string, got ${describe(value)}`);
      return;
    case "bool":
      if (typeof value !== "boolean") report.error(path, `must be true or false, got ${describe(value)}`);
      return;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) {
        report.error(path, `must be a number, got ${describe(value)}`);
      }
      return;
    case "int":
      if (!Number.isInteger(value)) report.error(path, `must be an integer, got ${describe(value)}`);
      return;
    case "uint":
      if (!Number.isInteger(value) || (value as number) < 0) {
        report.error(path, `must be a non-negative integer, got ${describe(value)}`);
      }
      return;
    case "duration":
      if (typeof value !== "string" || parseDuration(value) === undefined) {
        report.error(
          path,
          `invalid duration ${describe(value)}: write a number with a unit, like "1.5s", "100ms" or "1m"`,
        );
      }
      return;
  }
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go-style duration ("1.5s", "100ms", "1m30s", "0s") in milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let m: RegExpExecArray | null;
  let matched = 0;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    matched = re.lastIndex;
  }
  return matched === text.length && matched > 0 ? total : undefined;
}

/** `"abc"`, `150`, `a list`, `an object` — how a wrong value is shown in a message. */
export function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (isPlainObject(value)) return "an object";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}
