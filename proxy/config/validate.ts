// Strict validation: every set field must be in the supported subset; then the bootstrap's cross-references.
import type { DescEnum, DescField, DescMessage, Message, Registry } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import type { ReflectMessage } from "@bufbuild/protobuf/reflect";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Any } from "@bufbuild/protobuf/wkt";
import type { Bootstrap } from "../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import { BootstrapSchema } from "../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import { checkBootstrapReferences } from "./bootstrap-checks.ts";
import type { ConfigIssue } from "./config-error.ts";
import { configErrorOf } from "./config-error.ts";
import { fieldIssue as issue } from "./field-path.ts";
import type { FieldIssue, Locate, PathSegment } from "./field-path.ts";
import { SUPPORTED_FIELDS } from "./supported-fields.ts";
import type { MessageSupport } from "./supported-fields.ts";

export type { FieldIssue, Locate, PathSegment } from "./field-path.ts";

export interface ValidateOptions {
  readonly file?: string;
  readonly locate?: Locate;
  /** Defaults to SUPPORTED_FIELDS. */
  readonly table?: Readonly<Record<string, MessageSupport>>;
}

const ANY = "google.protobuf.Any";
const TYPE_URL_PREFIX = "type.googleapis.com/";

/**
 * Walks a message reflectively and returns every set field outside the supported subset, every enum value
 * that is unknown or unsupported, every unknown (binary) field, and every Any whose type is unknown or not
 * accepted where it is. Well-known types (google.protobuf.*) are leaves.
 */
export function findUnsupportedFields(
  message: Message,
  registry: Registry,
  table: Readonly<Record<string, MessageSupport>> = SUPPORTED_FIELDS,
): FieldIssue[] {
  const schema = knownMessages(registry).get(message.$typeName);
  if (schema === undefined) {
    return [issue([], `unknown message type ${message.$typeName}: it is not in the config registry`)];
  }
  const issues: FieldIssue[] = [];
  walkMessage(reflect(schema, message), [], { registry, table: compile(table), issues });
  return issues;
}

/**
 * Throws a ConfigError (listing every issue) when the bootstrap uses anything outside the supported subset
 * or its references do not resolve. Positions come from `options.locate` when the bootstrap came from text.
 */
export function validateBootstrap(
  bootstrap: Bootstrap,
  registry: Registry,
  options: ValidateOptions = {},
): void {
  const found: FieldIssue[] = [];
  walkMessage(reflect(BootstrapSchema, bootstrap), [], {
    registry,
    table: compile(options.table ?? SUPPORTED_FIELDS),
    issues: found,
  });
  found.push(...checkBootstrapReferences(bootstrap));
  if (found.length === 0) return;
  throw configErrorOf(toConfigIssues(found, options));
}

/** Field issues as ConfigIssues with file positions, in source order when positions are known. */
export function toConfigIssues(found: readonly FieldIssue[], options: ValidateOptions = {}): ConfigIssue[] {
  const issues = found.map((f): ConfigIssue => {
    const pos = options.locate?.(f.segments, f.at ?? "key");
    return { file: options.file, line: pos?.line, column: pos?.column, path: f.path, reason: f.message };
  });
  // stable sort: positioned issues in file order, unpositioned ones after, in walk order
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => key(a.issue) - key(b.issue) || a.index - b.index)
    .map((e) => e.issue);
}

function key(issue: ConfigIssue): number {
  return issue.line === undefined ? Number.MAX_SAFE_INTEGER : issue.line * 1e6 + (issue.column ?? 0);
}

const known = new WeakMap<Registry, ReadonlyMap<string, DescMessage>>();

/** Bootstrap, the registry's types, and every message type reachable from them through fields. */
function knownMessages(registry: Registry): ReadonlyMap<string, DescMessage> {
  let out = known.get(registry);
  if (out === undefined) {
    const found = new Map<string, DescMessage>();
    const visit = (desc: DescMessage) => {
      if (found.has(desc.typeName)) return;
      found.set(desc.typeName, desc);
      for (const field of desc.fields) if (field.message !== undefined) visit(field.message);
    };
    visit(BootstrapSchema);
    for (const type of registry) if (type.kind === "message") visit(type);
    out = found;
    known.set(registry, out);
  }
  return out;
}

interface CompiledSupport {
  readonly supported: ReadonlySet<string>;
  readonly ignored: ReadonlySet<string>;
  readonly unsupported: ReadonlyMap<string, string>;
  readonly anyTypes: ReadonlyMap<string, readonly string[]>;
  readonly values: ReadonlyMap<string, readonly string[]>;
}

type CompiledTable = ReadonlyMap<string, CompiledSupport>;

interface WalkContext {
  readonly registry: Registry;
  readonly table: CompiledTable;
  readonly issues: FieldIssue[];
}

const compiled = new WeakMap<object, CompiledTable>();

function compile(table: Readonly<Record<string, MessageSupport>>): CompiledTable {
  let out = compiled.get(table);
  if (out === undefined) {
    const entries = Object.entries(table).map(([typeName, s]): [string, CompiledSupport] => [typeName, {
      supported: new Set(words(s.supported)),
      ignored: new Set(words(s.ignored)),
      unsupported: new Map(Object.entries(s.unsupported ?? {})),
      anyTypes: new Map(Object.entries(s.anyTypes ?? {}).map(([f, list]) => [f, words(list)])),
      values: new Map(Object.entries(s.values ?? {}).map(([f, list]) => [f, words(list)])),
    }]);
    out = new Map(entries);
    compiled.set(table, out);
  }
  return out;
}

function words(list: string | undefined): string[] {
  return list === undefined ? [] : list.split(/\s+/).filter((w) => w !== "");
}

function walkMessage(msg: ReflectMessage, path: readonly PathSegment[], ctx: WalkContext): void {
  const desc = msg.desc;
  if (desc.typeName.startsWith("google.protobuf.")) return;
  const unknown = msg.getUnknown();
  if (unknown !== undefined && unknown.length > 0) {
    const numbers = [...new Set(unknown.map((u) => u.no))].join(", ");
    ctx.issues.push(issue(path, `unknown field number(s) ${numbers} in ${desc.typeName} (newer Envoy API?)`));
  }
  const support = ctx.table.get(desc.typeName);
  for (const field of desc.fields) {
    if (!msg.isSet(field)) continue;
    const at = [...path, field.name];
    if (support === undefined) {
      ctx.issues.push(issue(at, `not supported by Weft (${desc.typeName} is outside the supported subset)`));
    } else if (support.ignored.has(field.name)) {
      continue;
    } else if (!support.supported.has(field.name)) {
      const reason = support.unsupported.get(field.name);
      ctx.issues.push(issue(at, reason ?? "not supported by Weft; remove it"));
    } else {
      walkField(msg, field, at, support, ctx);
    }
  }
}

function walkField(
  msg: ReflectMessage,
  field: DescField,
  at: readonly PathSegment[],
  support: CompiledSupport,
  ctx: WalkContext,
): void {
  const allowedValues = support.values.get(field.name);
  const allowedAny = support.anyTypes.get(field.name);
  switch (field.fieldKind) {
    case "scalar":
      if (allowedValues !== undefined) checkValue(String(msg.get(field)), allowedValues, at, ctx);
      return;
    case "enum":
      checkEnum(field.enum, msg.get(field), allowedValues, at, ctx);
      return;
    case "message":
      walkChild(msg.get(field), at, allowedAny, ctx);
      return;
    case "list": {
      let i = 0;
      for (const item of msg.get(field)) {
        const itemPath = [...at, i++];
        if (field.listKind === "message") walkChild(item as ReflectMessage, itemPath, allowedAny, ctx);
        else if (field.listKind === "enum") {
          checkEnum(field.enum, item as number, allowedValues, itemPath, ctx);
        } else if (allowedValues !== undefined) checkValue(String(item), allowedValues, itemPath, ctx);
      }
      return;
    }
    case "map":
      if (field.mapKind !== "message") return;
      for (const [k, value] of msg.get(field)) {
        walkChild(value as ReflectMessage, [...at, { key: String(k) }], allowedAny, ctx);
      }
      return;
  }
}

function walkChild(
  child: ReflectMessage,
  at: readonly PathSegment[],
  allowedAny: readonly string[] | undefined,
  ctx: WalkContext,
): void {
  if (child.desc.typeName === ANY) walkAny(child.message as Any, at, allowedAny, ctx);
  else walkMessage(child, at, ctx);
}

function walkAny(
  any: Any,
  at: readonly PathSegment[],
  allowed: readonly string[] | undefined,
  ctx: WalkContext,
) {
  const typeName = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
  const desc: DescMessage | undefined = ctx.registry.getMessage(typeName);
  const supported = () => (allowed ?? []).map((t) => TYPE_URL_PREFIX + t).join(", ") || "none";
  if (desc === undefined) {
    ctx.issues.push(
      issue(at, `unknown extension ${any.typeUrl || "(empty @type)"} — supported: ${supported()}`, "value"),
    );
    return;
  }
  if (allowed !== undefined && !allowed.includes(typeName)) {
    ctx.issues.push(issue(at, `${typeName} is not accepted here — supported: ${supported()}`, "value"));
    return;
  }
  let unpacked: Message | undefined;
  try {
    unpacked = anyUnpack(any, ctx.registry);
  } catch (err) {
    ctx.issues.push(issue(at, `cannot decode ${typeName}: ${(err as Error).message}`, "value"));
    return;
  }
  if (unpacked !== undefined) walkMessage(reflect(desc, unpacked), at, ctx);
}

function checkEnum(
  enumDesc: DescEnum,
  value: number,
  allowed: readonly string[] | undefined,
  at: readonly PathSegment[],
  ctx: WalkContext,
): void {
  const name = enumDesc.value[value]?.name;
  if (name === undefined) {
    const known = allowed ?? enumDesc.values.map((v) => v.name);
    ctx.issues.push(
      issue(at, `${value} is not a value of ${enumDesc.typeName} (use one of: ${known.join(", ")})`, "value"),
    );
  } else if (allowed !== undefined) {
    checkValue(name, allowed, at, ctx);
  }
}

function checkValue(
  value: string,
  allowed: readonly string[],
  at: readonly PathSegment[],
  ctx: WalkContext,
): void {
  if (!allowed.includes(value)) {
    ctx.issues.push(issue(at, `${value} is not supported (supported: ${allowed.join(", ")})`, "value"));
  }
}
