// Finds where protobuf JSON decoding fails (protobuf-es errors carry no path) by walking the JSON with the schema.
import { fromJson } from "@bufbuild/protobuf";
import type { DescEnum, DescField, DescMessage, JsonObject, JsonValue, Registry } from "@bufbuild/protobuf";
import { hasCustomJsonRepresentation } from "@bufbuild/protobuf/wkt";
import { fieldIssue as issue } from "./field-path.ts";
import type { FieldIssue, PathSegment } from "./field-path.ts";
import { closestName, didYouMean } from "./suggest.ts";
import { SUPPORTED_FIELDS } from "./supported-fields.ts";

const ANY = "google.protobuf.Any";
const TYPE_URL = "type.googleapis.com/";

interface Ctx {
  readonly registry: Registry;
  readonly out: FieldIssue[];
}

/**
 * Every place in `json` that `fromJson(desc, json, { registry })` rejects, with its field path and a reason
 * that says what to write instead. Runs only after a decode failed, so it favours clarity over speed.
 */
export function diagnoseJson(desc: DescMessage, json: JsonValue, registry: Registry): FieldIssue[] {
  const ctx: Ctx = { registry, out: [] };
  walkMessage(desc, json, [], undefined, ctx);
  return ctx.out;
}

/** A protobuf-es decode error without its "cannot decode … from JSON:" prefix. */
export function decodeReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^cannot decode (?:message |field |enum |oneof )?\S+ from JSON:?\s*/, "");
}

function walkMessage(
  desc: DescMessage,
  json: JsonValue,
  at: PathSegment[],
  anyTypes: string | undefined,
  ctx: Ctx,
) {
  if (desc.typeName === ANY) return walkAny(json, at, anyTypes, ctx);
  if (hasCustomJsonRepresentation(desc)) return tryDecode(desc, json, at, ctx);
  if (json === null) return;
  if (typeof json !== "object" || Array.isArray(json)) {
    ctx.out.push(issue(at, `expected an object (${desc.typeName}), got ${show(json)}`, "value"));
    return;
  }
  const seen = new Map<DescField, string>();
  const oneofs = new Map<unknown, DescField>();
  for (const [key, value] of Object.entries(json)) {
    const field = desc.fields.find((f) => f.name === key || f.jsonName === key);
    if (field === undefined) {
      ctx.out.push(issue([...at, key], unknownKey(desc, key)));
      continue;
    }
    const fp = [...at, field.name];
    const twice = seen.get(field);
    if (twice !== undefined) {
      ctx.out.push(issue(fp, `set twice, as "${twice}" and "${key}"; keep one`));
      continue;
    }
    seen.set(field, key);
    if (field.oneof && !(value === null && field.fieldKind === "scalar")) {
      const other = oneofs.get(field.oneof);
      if (other !== undefined) {
        ctx.out.push(
          issue(
            fp,
            `only one of ${
              field.oneof.fields.map((f) => f.name).join(", ")
            } may be set (${other.name} is set too)`,
          ),
        );
        continue;
      }
      oneofs.set(field.oneof, field);
    }
    if (value !== null) walkField(desc, field, key, value, fp, ctx);
  }
}

function walkField(
  desc: DescMessage,
  field: DescField,
  key: string,
  value: JsonValue,
  fp: PathSegment[],
  ctx: Ctx,
) {
  const anyTypes = SUPPORTED_FIELDS[desc.typeName]?.anyTypes?.[field.name];
  switch (field.fieldKind) {
    case "message":
      return walkMessage(field.message, value, fp, anyTypes, ctx);
    case "list":
      if (!Array.isArray(value)) {
        ctx.out.push(issue(fp, `expected a list, got ${show(value)}`, "value"));
        return;
      }
      value.forEach((item, i) => {
        if (item === null) ctx.out.push(issue([...fp, i], "list items must not be null", "value"));
        else if (field.listKind === "message") walkMessage(field.message, item, [...fp, i], anyTypes, ctx);
        else tryField(desc, field, key, [item], [...fp, i], ctx);
      });
      return;
    case "map":
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        ctx.out.push(issue(fp, `expected a map (object), got ${show(value)}`, "value"));
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        const ep = [...fp, { key: k }];
        if (field.mapKind === "message" && v !== null) walkMessage(field.message, v, ep, anyTypes, ctx);
        else tryField(desc, field, key, { [k]: v }, ep, ctx);
      }
      return;
    default:
      tryField(desc, field, key, value, fp, ctx);
  }
}

function walkAny(json: JsonValue, at: PathSegment[], anyTypes: string | undefined, ctx: Ctx): void {
  const supported = anyTypes?.split(/\s+/).filter(Boolean).map((t) => TYPE_URL + t).join(", ");
  const hint = supported === undefined ? "" : ` — supported: ${supported}`;
  if (json === null || typeof json !== "object" || Array.isArray(json) || typeof json["@type"] !== "string") {
    ctx.out.push(issue(at, `a typed config needs an "@type"${hint}`, "value"));
    return;
  }
  const typeUrl = json["@type"];
  const desc = ctx.registry.getMessage(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
  if (desc === undefined) {
    ctx.out.push(issue(at, `unknown extension ${typeUrl}${hint}`, "value"));
    return;
  }
  if (hasCustomJsonRepresentation(desc)) return tryDecode(desc, json.value ?? null, at, ctx);
  const { "@type": _, ...fields } = json as JsonObject;
  walkMessage(desc, fields, at, undefined, ctx);
}

/** Decodes one field alone (`{ key: value }` into its message) to see whether its value is acceptable. */
function tryField(
  desc: DescMessage,
  field: DescField,
  key: string,
  value: JsonValue,
  at: PathSegment[],
  ctx: Ctx,
) {
  try {
    fromJson(desc, { [key]: value }, { registry: ctx.registry });
  } catch (err) {
    const enumDesc = enumOf(field);
    const reason = enumDesc ? badEnum(desc, field, enumDesc, err) : decodeReason(err);
    ctx.out.push(issue(at, reason, "value"));
  }
}

function enumOf(field: DescField): DescEnum | undefined {
  if (field.fieldKind === "enum") return field.enum;
  if (field.fieldKind === "list" && field.listKind === "enum") return field.enum;
  if (field.fieldKind === "map" && field.mapKind === "enum") return field.enum;
  return undefined;
}

function tryDecode(desc: DescMessage, json: JsonValue, at: PathSegment[], ctx: Ctx): void {
  try {
    fromJson(desc, json, { registry: ctx.registry });
  } catch (err) {
    ctx.out.push(issue(at, wellKnownReason(desc, json, err), "value"));
  }
}

function wellKnownReason(desc: DescMessage, json: JsonValue, err: unknown): string {
  switch (desc.typeName) {
    case "google.protobuf.Duration":
      return `invalid duration ${show(json)}: write seconds with an "s" suffix, e.g. "5s" or "0.250s"`;
    case "google.protobuf.Timestamp":
      return `invalid timestamp ${show(json)}: write RFC 3339, e.g. "2024-01-31T12:00:00Z"`;
    default:
      return decodeReason(err);
  }
}

function badEnum(desc: DescMessage, field: DescField, enumDesc: DescEnum, err: unknown): string {
  const listed = SUPPORTED_FIELDS[desc.typeName]?.values?.[field.name]?.split(/\s+/).filter(Boolean) ??
    enumDesc.values.map((v) => v.name);
  const value = decodeReason(err);
  const guess = closestName(value.replace(/"/g, ""), listed);
  const next = guess === undefined ? ` (use one of: ${listed.join(", ")})` : `; did you mean "${guess}"?`;
  return `unknown value ${value} for ${enumDesc.typeName}${next}`;
}

function unknownKey(desc: DescMessage, key: string): string {
  if (key === "@type") {
    return `"@type" belongs only in a typed_config (google.protobuf.Any), not in ${desc.typeName}`;
  }
  return `unknown field "${key}" in ${desc.typeName}${didYouMean(key, desc.fields.map((f) => f.name))}`;
}

function show(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
