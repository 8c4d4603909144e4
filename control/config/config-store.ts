// The file config store: validates a whole set of files, swaps it in atomically, keeps the last good set on errors.
import { compare } from "../model/order.ts";
import type { ConfigObject } from "../model/types.ts";
import type { KindSpecs } from "./istio-types.ts";
import type { ConfigProblem } from "./problem.ts";
import { hasErrors, sortProblems } from "./problem.ts";
import { checkConfigFile, type CheckedFile } from "./validate.ts";

export interface ConfigFile {
  readonly file: string;
  readonly text: string;
}

/** A frozen view of one accepted config set. */
export interface ConfigSnapshot {
  /** 0 before anything was accepted; +1 on every accepted change. */
  readonly version: number;
  list<K extends keyof KindSpecs>(kind: K): readonly ConfigObject<KindSpecs[K]>[];
  list(kind: string): readonly ConfigObject[];
  get<K extends keyof KindSpecs>(
    kind: K,
    namespace: string,
    name: string,
  ): ConfigObject<KindSpecs[K]> | undefined;
  get(kind: string, namespace: string, name: string): ConfigObject | undefined;
  /** Every object, sorted by kind, namespace, name. */
  all(): readonly ConfigObject[];
}

export interface ConfigStore extends ConfigSnapshot {
  /**
   * Parses and validates every file. With any error nothing changes (the last good set stays in force);
   * otherwise the set is swapped in and subscribers are told (unless it equals the current one).
   * Returns every problem found, warnings included.
   */
  replaceAll(files: readonly ConfigFile[]): readonly ConfigProblem[];
  /** Problems of the latest replaceAll, accepted or not. */
  problems(): readonly ConfigProblem[];
  /** The accepted set as an immutable snapshot. */
  snapshot(): ConfigSnapshot;
  onChange(cb: (snapshot: ConfigSnapshot) => void): () => void;
}

export interface ConfigStoreOptions {
  /** Where a throwing subscriber is reported; defaults to console.error. */
  readonly onSubscriberError?: (err: unknown) => void;
}

interface CheckedEntry {
  readonly text: string;
  readonly checked: CheckedFile;
}

const json = new WeakMap<ConfigObject, string>();
const keys = new WeakMap<ConfigObject, string>();

/** "kind/namespace/name", made once per object (a reload meets every unchanged object again). */
function keyOf(o: ConfigObject): string {
  let key = keys.get(o);
  if (key === undefined) keys.set(o, key = `${o.kind}/${o.namespace}/${o.name}`);
  return key;
}

/** An object's JSON; objects come from the per-file cache and are frozen once accepted, so it is kept. */
function jsonOf(o: ConfigObject): string {
  let text = json.get(o);
  if (text === undefined) json.set(o, text = JSON.stringify(o));
  return text;
}

export function createConfigStore(options: ConfigStoreOptions = {}): ConfigStore {
  let current = createSnapshot([], 0);
  /** The accepted objects' JSON, in order: an edit that changes nothing is recognised element by element. */
  let fingerprint: readonly string[] = [];
  let latestProblems: readonly ConfigProblem[] = [];
  let checkedFiles = new Map<string, CheckedEntry>();
  const subscribers = new Set<(s: ConfigSnapshot) => void>();
  const reportError = options.onSubscriberError ??
    ((err: unknown) => console.error("config subscriber failed:", err));

  const store: ConfigStore = {
    get version() {
      return current.version;
    },
    list: ((kind: string) => current.list(kind)) as ConfigSnapshot["list"],
    get:
      ((kind: string, namespace: string, name: string) =>
        current.get(kind, namespace, name)) as ConfigSnapshot["get"],
    all: () => current.all(),
    snapshot: () => current,
    problems: () => latestProblems,
    replaceAll(files) {
      const objects: ConfigObject[] = [];
      const problems: ConfigProblem[] = [];
      const seen = new Map<string, CheckedEntry>();
      for (const f of files) {
        // A file whose text is unchanged since the last call is not parsed again (checking is pure).
        let entry = checkedFiles.get(f.file);
        if (entry?.text !== f.text) entry = { text: f.text, checked: checkConfigFile(f.text, f.file) };
        seen.set(f.file, entry);
        objects.push(...entry.checked.objects);
        problems.push(...entry.checked.problems);
      }
      checkedFiles = seen;
      problems.push(...duplicateProblems(objects));
      latestProblems = sortProblems(problems);
      if (hasErrors(problems)) return latestProblems;
      const sorted = sortObjects(objects);
      // Each object is serialized once (jsonOf): unchanged ones compare as the same string.
      const next = sorted.map(jsonOf);
      if (next.length === fingerprint.length && next.every((j, i) => j === fingerprint[i])) {
        return latestProblems;
      }
      fingerprint = next;
      current = createSnapshot(sorted, current.version + 1);
      for (const cb of [...subscribers]) {
        try {
          cb(current);
        } catch (err) {
          reportError(err);
        }
      }
      return latestProblems;
    },
    onChange(cb) {
      subscribers.add(cb);
      return () => subscribers.delete(cb);
    },
  };
  return store;
}

/** The same kind/namespace/name twice, in one file or across files, is an error at the second one. */
export function duplicateProblems(objects: readonly ConfigObject[]): ConfigProblem[] {
  const seen = new Map<string, ConfigObject>();
  const problems: ConfigProblem[] = [];
  for (const o of objects) {
    const key = keyOf(o);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, o);
      continue;
    }
    const where = first.source ? `${first.source.file}:${first.source.line}` : "elsewhere";
    problems.push({
      file: o.source?.file ?? "",
      line: o.source?.line ?? 0,
      kind: o.kind,
      name: o.name,
      namespace: o.namespace,
      field: "metadata.name",
      message: `duplicate ${o.kind} ${o.namespace}/${o.name}: also defined at ${where}`,
      severity: "error",
    });
  }
  return problems;
}

/** By kind, namespace, name (field by field: "/" in a key would sort before a longer kind's letters). */
function sortObjects(objects: readonly ConfigObject[]): ConfigObject[] {
  return [...objects].sort((a, b) =>
    compare(a.kind, b.kind) || compare(a.namespace, b.namespace) || compare(a.name, b.name)
  );
}

function createSnapshot(objects: readonly ConfigObject[], version: number): ConfigSnapshot {
  const byKind = new Map<string, ConfigObject[]>();
  const byKey = new Map<string, ConfigObject>();
  for (const o of objects) {
    const frozen = deepFreeze(o);
    const list = byKind.get(o.kind) ?? [];
    list.push(frozen);
    byKind.set(o.kind, list);
    byKey.set(keyOf(o), frozen);
  }
  const all = Object.freeze([...byKey.values()]);
  return Object.freeze({
    version,
    list: ((kind: string) => byKind.get(kind) ?? []) as ConfigSnapshot["list"],
    get: ((kind: string, namespace: string, name: string) =>
      byKey.get(`${kind}/${namespace}/${name}`)) as ConfigSnapshot["get"],
    all: () =>
      all,
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
