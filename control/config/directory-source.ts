// Feeds a config store from a directory of YAML/JSON files, reloading (coalesced) whenever the directory changes.
import type { ConfigFile, ConfigStore } from "./config-store.ts";
import type { ConfigProblem } from "./problem.ts";
import { formatProblem, hasErrors } from "./problem.ts";

/** What the source needs from the runtime's file system (Node: adapters/node/node-file-system.ts). */
export interface FileSystemPort {
  /** Config files under `dir`, recursively (*.yaml, *.yml, *.json), as paths `read` accepts; sorted. */
  list(dir: string): Promise<string[]>;
  read(path: string): Promise<string>;
  /** Calls `onChange` (possibly many times per edit) when anything under `dir` may have changed; returns a stop function. */
  watch(dir: string, onChange: () => void): () => void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface DirectorySourceOptions {
  readonly fs: FileSystemPort;
  readonly dir: string;
  readonly store: ConfigStore;
  /** One line per message; defaults to console.log. */
  readonly log?: (line: string) => void;
  /** How long to wait for a burst of changes to settle before reloading (default 50 ms). */
  readonly settleMs?: number;
  readonly timers?: Timers;
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
  let stopWatching: (() => void) | undefined;
  let timer: unknown;
  let running: Promise<readonly ConfigProblem[]> | undefined;
  let dirty = false;
  let stopped = false;
  const waiters: (() => void)[] = [];

  // Problems name files relative to the directory ("networking/reviews.yaml"); "./cfg/" and "cfg" are the same.
  const prefixes = [`${dir.replace(/\/+$/, "")}/`, `${dir.replace(/^\.\//, "").replace(/\/+$/, "")}/`];
  const displayName = (path: string) => {
    const prefix = prefixes.find((p) => path.startsWith(p));
    return prefix === undefined ? path : path.slice(prefix.length);
  };

  async function load(): Promise<readonly ConfigProblem[]> {
    let files: ConfigFile[];
    try {
      // Read concurrently (one at a time made a reload of a thousand files take a thousand round trips).
      const paths = await fs.list(dir);
      const texts = await Promise.all(paths.map((path) => fs.read(path)));
      files = paths.map((path, i) => ({ file: displayName(path), text: texts[i] }));
    } catch (err) {
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
    for (const p of problems) log(formatProblem(p));
    if (hasErrors(problems)) {
      const errors = problems.filter((p) => p.severity === "error").length;
      log(
        `config in ${dir} rejected (${errors} error${
          errors === 1 ? "" : "s"
        }); keeping config version ${store.version}`,
      );
    } else if (store.version !== before) {
      log(
        `config version ${store.version}: ${store.all().length} objects from ${files.length} files in ${dir}`,
      );
    }
    return problems;
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
        schedule();
      } else if (timer === undefined) {
        for (const w of waiters.splice(0)) w();
      }
    });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = timers.setTimeout(() => {
      timer = undefined;
      void reload();
    }, settleMs);
  }

  return {
    async start() {
      stopWatching = fs.watch(dir, schedule);
      return await reload();
    },
    reload,
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
