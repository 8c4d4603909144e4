// The file config store: validates a whole set of files, swaps it in atomically, keeps the last good set on errors.
import type { ConfigObject } from "../model/types.ts";
import {
  type ConfigSnapshot,
  createSnapshot,
  type IndexedSnapshot,
  jsonOf,
  keyOf,
  patchSnapshot,
  sortObjects,
} from "./config-snapshot.ts";
import type { ConfigProblem } from "./problem.ts";
import { hasErrors, sortProblems } from "./problem.ts";
import { checkConfigFile, type CheckedFile } from "./validate.ts";

export type { ConfigSnapshot } from "./config-snapshot.ts";

export interface ConfigFile {
  readonly file: string;
  readonly text: string;
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

/** The accepted set: its snapshot and the checked file entries it was made from. */
interface Accepted {
  readonly snapshot: IndexedSnapshot;
  readonly entries: ReadonlyMap<string, CheckedEntry>;
}

/** Past this many changed files (or an eighth of them) a change is applied by rebuilding the snapshot. */
const PATCH_FILES = 16;

export function createConfigStore(options: ConfigStoreOptions = {}): ConfigStore {
  let accepted: Accepted = { snapshot: createSnapshot([], 0), entries: new Map() };
  let latestProblems: readonly ConfigProblem[] = [];
  let checkedFiles = new Map<string, CheckedEntry>();
  const subscribers = new Set<(s: ConfigSnapshot) => void>();
  const reportError = options.onSubscriberError ??
    ((err: unknown) => console.error("config subscriber failed:", err));
  const current = () => accepted.snapshot;

  const store: ConfigStore = {
    get version() {
      return current().version;
    },
    get size() {
      return current().size;
    },
    list: ((kind: string) => current().list(kind)) as ConfigSnapshot["list"],
    get:
      ((kind: string, namespace: string, name: string) =>
        current().get(kind, namespace, name)) as ConfigSnapshot["get"],
    all: () => current().all(),
    snapshot: current,
    problems: () => latestProblems,
    replaceAll(files) {
      const problems: ConfigProblem[] = [];
      const seen = new Map<string, CheckedEntry>();
      files.forEach((f, i) => {
        // A name given twice is two files (their objects meet as duplicates, as in any two files).
        const name = seen.has(f.file) ? `${f.file}\u0000${i}` : f.file;
        // A file whose text is unchanged since the last call is not parsed again (checking is pure).
        let entry = checkedFiles.get(name);
        if (entry?.text !== f.text) entry = { text: f.text, checked: checkConfigFile(f.text, f.file) };
        seen.set(name, entry);
        for (const p of entry.checked.problems) problems.push(p);
      });
      checkedFiles = seen;
      const next = patched(accepted, seen, problems) ?? rebuilt(accepted.snapshot, seen, problems);
      latestProblems = sortProblems(problems);
      if (next === "errors") return latestProblems;
      // The same objects (say, only a comment changed) are still these files' objects from now on.
      accepted = { snapshot: next === "same" ? accepted.snapshot : next, entries: seen };
      if (next === "same") return latestProblems;
      for (const cb of [...subscribers]) {
        try {
          cb(next);
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

/** What a set of files makes of the accepted config. */
type Outcome = IndexedSnapshot | "same" | "errors";

/** The next snapshot from every file's objects (duplicates are added to `problems`). */
function rebuilt(
  current: IndexedSnapshot,
  entries: ReadonlyMap<string, CheckedEntry>,
  problems: ConfigProblem[],
): Outcome {
  const objects: ConfigObject[] = [];
  for (const entry of entries.values()) for (const o of entry.checked.objects) objects.push(o);
  problems.push(...duplicateProblems(objects));
  if (hasErrors(problems)) return "errors";
  const sorted = sortObjects(objects);
  const before = current.all();
  // Each object is serialized once (jsonOf): unchanged ones compare as the same string.
  const same = sorted.length === before.length && sorted.every((o, i) => jsonOf(o) === jsonOf(before[i]));
  return same ? "same" : createSnapshot(sorted, current.version + 1);
}

/**
 * The next snapshot patched from the accepted one when a few files changed (an edit of one file is then worth
 * its own objects, not the mesh's); undefined to rebuild instead: many files changed, or a key now appears twice
 * (rebuilding names the duplicate the way a full check does).
 */
function patched(
  accepted: Accepted,
  entries: ReadonlyMap<string, CheckedEntry>,
  problems: readonly ConfigProblem[],
): Outcome | undefined {
  if (accepted.snapshot.version === 0) return undefined;
  const limit = Math.max(PATCH_FILES, entries.size / 8);
  const removed: ConfigObject[] = [];
  const added: ConfigObject[] = [];
  let changed = 0;
  let kept = 0;
  for (const [file, entry] of entries) {
    const before = accepted.entries.get(file);
    if (before !== undefined) kept++;
    if (before === entry) continue;
    if (++changed > limit) return undefined;
    if (before !== undefined) removed.push(...before.checked.objects);
    added.push(...entry.checked.objects);
  }
  if (kept < accepted.entries.size) {
    for (const [file, before] of accepted.entries) {
      if (entries.has(file)) continue;
      if (++changed > limit) return undefined;
      removed.push(...before.checked.objects);
    }
  }
  // Keys of the objects that stay, plus the added ones: any key met twice means a rebuild.
  const leaving = new Map(removed.map((o) => [keyOf(o), o]));
  const joining = new Set<string>();
  for (const o of added) {
    const key = keyOf(o);
    if (joining.has(key) || (accepted.snapshot.byKey.has(key) && !leaving.has(key))) return undefined;
    joining.add(key);
  }
  if (hasErrors(problems)) return "errors";
  const same = removed.length === added.length && added.every((o) => {
    const before = leaving.get(keyOf(o));
    return before !== undefined && jsonOf(before) === jsonOf(o);
  });
  return same ? "same" : patchSnapshot(accepted.snapshot, removed, added, accepted.snapshot.version + 1);
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
