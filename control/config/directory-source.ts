// Feeds a config store from a directory of YAML/JSON files, reloading (coalesced) whenever the directory changes.
import { compare } from "../model/order.ts";
import type { ConfigFile, ConfigStore } from "./config-store.ts";
import type { ConfigProblem } from "./problem.ts";
import { formatProblem, hasErrors } from "./problem.ts";

/** What the source needs from the runtime's file system (Node: adapters/node/node-file-system.ts). */
export interface FileSystemPort {
  /** Config files under `dir`, recursively (*.yaml, *.yml, *.json), as paths `read` accepts; sorted. */
  list(dir: string): Promise<string[]>;
  read(path: string): Promise<string>;
  /**
   * Calls `onChange` (possibly many times per edit) when anything under `dir` may have changed, with the path of
   * the file when the watcher knows it (then only that file is read again); returns a stop function.
   */
  watch(dir: string, onChange: (path?: string) => void): () => void;
}

/** Config files are *.yaml, *.yml and *.json; names starting with "." (editor temp files, "..data") are not. */
export const CONFIG_FILE = /\.(ya?ml|json)$/i;

/** Whether `path` (under `dir`) names a config file the listing would include. */
export function isConfigPath(dir: string, path: string): boolean {
  const plain = (p: string) => p.replace(/^(\.\/)+/, "");
  const root = plain(dir).replace(/\/+$/, "");
  const file = plain(path);
  if (!file.startsWith(`${root}/`)) return false;
  const parts = file.slice(root.length + 1).split("/");
  return CONFIG_FILE.test(parts[parts.length - 1]) && parts.every((p) => p !== "" && !p.startsWith("."));
}

/** Errors held back for this many settle times are reported even while changes keep coming. */
const HOLD_LIMIT = 10;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds, monotonic; default `performance.now()`. */
  now?(): number;
}

export interface DirectorySourceOptions {
  readonly fs: FileSystemPort;
  readonly dir: string;
  readonly store: ConfigStore;
  /** One line per message; defaults to console.log. */
  readonly log?: (line: string) => void;
  /**
   * How long a file may take to be written (default 50 ms). A change is read at once; a read that finds errors
   * this soon after a change may have caught a file half-written, so its errors are reported only if a read
   * after the settle time still finds them.
   */
  readonly settleMs?: number;
  readonly timers?: Timers;
  /** Called on each watcher event, before the reload it leads to (the start of a change, for debouncing). */
  readonly onChangeSeen?: () => void;
}

export interface DirectorySource {
  /** Loads the directory once and starts watching it; resolves with the first load's problems. */
  start(): Promise<readonly ConfigProblem[]>;
  /** Loads the directory now. */
  reload(): Promise<readonly ConfigProblem[]>;
  /** Resolves once no reload is pending or running. */
  idle(): Promise<void>;
  stop(): void;
}

export function createDirectorySource(options: DirectorySourceOptions): DirectorySource {
  const { fs, dir, store } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const settleMs = options.settleMs ?? 50;
  const timers: Timers = options.timers ?? {
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
  };
  const now = () => options.timers?.now?.() ?? performance.now();
  let stopWatching: (() => void) | undefined;
  let timer: unknown;
  let running: Promise<readonly ConfigProblem[]> | undefined;
  let dirty = false;
  let stopped = false;
  /** The text of every config file as last read; only files named by the watcher are read again. */
  let texts = new Map<string, string>();
  let fullRead = true;
  const changedPaths = new Set<string>();
  const waiters: (() => void)[] = [];
  /** When the watcher last reported a change (-Infinity: never). */
  let lastChangeAt = -Infinity;
  /**
   * Since when the errors of a read too soon after a change (a broken file or a half-written one?) are held back,
   * not reported; undefined when nothing is. Changes that never pause do not hide them for longer than HOLD_LIMIT.
   */
  let heldSince: number | undefined;
  const settling = () =>
    now() - lastChangeAt < settleMs && now() - (heldSince ?? now()) < HOLD_LIMIT * settleMs;

  // Problems name files relative to the directory ("networking/reviews.yaml"); "./cfg/" and "cfg" are the same.
  const prefixes = [`${dir.replace(/\/+$/, "")}/`, `${dir.replace(/^\.\//, "").replace(/\/+$/, "")}/`];
  const displayName = (path: string) => {
    const prefix = prefixes.find((p) => path.startsWith(p));
    return prefix === undefined ? path : path.slice(prefix.length);
  };

  /** Lists and reads every file (concurrently: one at a time made a thousand files a thousand round trips). */
  async function readAll(): Promise<Map<string, string>> {
    const paths = await fs.list(dir);
    const read = await Promise.all(paths.map((path) => fs.read(path)));
    return new Map(paths.map((path, i) => [path, read[i]]));
  }

  /**
   * Reads only the changed files when the watcher named them all; a file that cannot be read means a full read.
   * Undefined when every file read again has the text it had (a second event for an edit already loaded).
   */
  async function readChanged(): Promise<Map<string, string> | undefined> {
    if (fullRead || changedPaths.size === 0) {
      fullRead = false;
      changedPaths.clear();
      return await readAll();
    }
    const paths = [...changedPaths];
    changedPaths.clear();
    const read = await Promise.allSettled(paths.map((path) => fs.read(path)));
    if (read.some((r) => r.status === "rejected")) return await readAll(); // deleted or moved: list again
    const same = paths.every((path, i) =>
      texts.get(path) === (read[i] as PromiseFulfilledResult<string>).value
    );
    if (same) return undefined;
    const next = new Map(texts);
    const added = paths.some((path) => !texts.has(path));
    paths.forEach((path, i) => next.set(path, (read[i] as PromiseFulfilledResult<string>).value));
    // Files keep their (sorted) places when rewritten; only a new one means sorting again.
    return added ? new Map([...next].sort((a, b) => compare(a[0], b[0]))) : next;
  }

  async function load(): Promise<readonly ConfigProblem[]> {
    let files: ConfigFile[];
    try {
      const read = await readChanged();
      if (read === undefined) {
        if (heldSince !== undefined && !settling()) report(store.problems(), store.version, texts.size);
        return store.problems();
      }
      texts = read;
      files = [...texts].map(([path, text]) => ({ file: displayName(path), text }));
    } catch (err) {
      fullRead = true;
      // Reported now; the next watcher event (or start/reload) reads again. No re-read of its own: a directory
      // that cannot be read must not spin.
      heldSince = undefined;
      const problem: ConfigProblem = {
        file: dir,
        line: 0,
        field: "",
        message: `cannot read config: ${(err as Error).message}`,
        severity: "error",
      };
      log(`${formatProblem(problem)} (keeping config version ${store.version})`);
      return [problem];
    }
    const before = store.version;
    const problems = store.replaceAll(files);
    if (hasErrors(problems)) heldSince ??= now();
    if (!hasErrors(problems) || !settling()) report(problems, before, files.length);
    return problems;
  }

  function report(problems: readonly ConfigProblem[], before: number, fileCount: number): void {
    heldSince = undefined;
    for (const p of problems) log(formatProblem(p));
    if (hasErrors(problems)) {
      const errors = problems.filter((p) => p.severity === "error").length;
      log(
        `config in ${dir} rejected (${errors} error${
          errors === 1 ? "" : "s"
        }); keeping config version ${store.version}`,
      );
    } else if (store.version !== before) {
      log(`config version ${store.version}: ${store.size} objects from ${fileCount} files in ${dir}`);
    }
  }

  function reload(): Promise<readonly ConfigProblem[]> {
    if (running) {
      dirty = true;
      return running;
    }
    running = load().finally(() => {
      running = undefined;
      if (dirty && !stopped) {
        dirty = false;
        arm(0);
      } else if (heldSince !== undefined && !stopped) {
        // Read everything again once the file has had time to be written; that read reports what it finds.
        fullRead = true;
        arm(Math.max(0, lastChangeAt + settleMs - now()));
      } else if (timer === undefined) {
        for (const w of waiters.splice(0)) w();
      }
    });
    return running;
  }

  /**
   * A watcher event: remembers what changed and reads it on the next turn of the event loop (events of one
   * write arrive together and make one read; a reload already running reads again when it is done).
   */
  function schedule(path?: string): void {
    if (stopped) return;
    options.onChangeSeen?.();
    lastChangeAt = now();
    if (path === undefined || !isConfigPath(dir, path)) fullRead = true;
    else changedPaths.add(path);
    if (running) dirty = true;
    else arm(0);
  }

  function arm(ms: number): void {
    if (stopped) return;
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = timers.setTimeout(() => {
      timer = undefined;
      void reload();
    }, ms);
  }

  return {
    async start() {
      stopWatching = fs.watch(dir, schedule);
      return await reload();
    },
    reload() {
      fullRead = true;
      return reload();
    },
    idle() {
      if (running === undefined && timer === undefined) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    stop() {
      stopped = true;
      stopWatching?.();
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      for (const w of waiters.splice(0)) w();
    },
  };
}
