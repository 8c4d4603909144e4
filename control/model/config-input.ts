// Config objects as consumers take them: a plain list, or a config snapshot's lists by kind.
import type { ConfigObject } from "./types.ts";

/** A list of objects, or a snapshot's lists by kind (the same array while none of a kind's objects changed). */
export type ConfigInput = readonly ConfigObject[] | { list(kind: string): readonly ConfigObject[] };

/** One kind's objects from either form of input (a list is filtered once per kind). */
export function kindLists(input: ConfigInput): (kind: string) => readonly ConfigObject[] {
  if (!Array.isArray(input)) return (kind) => (input as Exclude<ConfigInput, readonly unknown[]>).list(kind);
  const objects = input as readonly ConfigObject[];
  const byKind = new Map<string, readonly ConfigObject[]>();
  return (kind) => {
    let list = byKind.get(kind);
    if (list === undefined) byKind.set(kind, list = objects.filter((o) => o.kind === kind));
    return list;
  };
}
