// FileSystemPort for Node: recursive listing of config files, and a watcher built from per-directory fs.watch
// (renames and atomic saves show up as directory events) plus an mtime poll as a safety net.
import { type FSWatcher, statSync, watch as fsWatch } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { CONFIG_FILE, type FileSystemPort } from "../../control/config/directory-source.ts";

export interface NodeFileSystemOptions {
  /** How often to compare file sizes and mtimes, in case fs.watch missed something (default 2000 ms; 250 ms
   * when fs.watch is unavailable). */
  readonly pollMs?: number;
}

/** Files stat'ed per event-loop turn by the safety-net poll (~1 ms of blocking). */
const STATS_PER_TURN = 256;

export function createNodeFileSystem(options: NodeFileSystemOptions = {}): FileSystemPort {
  return {
    async list(dir) {
      const { files } = await walk(dir);
      return files.sort();
    },
    read: (path) => readFile(path, "utf8"),
    watch: (dir, onChange) => watchTree(dir, onChange, options.pollMs),
  };
}

/** Files and directories under `dir`; names starting with "." are skipped (editor temp files, ConfigMap "..data"). */
async function walk(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const files: string[] = [];
  const dirs: string[] = [dir];
  const visit = async (current: string, depth: number): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = join(current, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined);
        isDir = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDir && depth < 32) {
        dirs.push(path);
        await visit(path, depth + 1);
      } else if (isFile && CONFIG_FILE.test(entry.name)) {
        files.push(path);
      }
    }
  };
  await visit(dir, 0);
  return { files, dirs };
}

function watchTree(dir: string, onChange: (path?: string) => void, pollMs: number | undefined): () => void {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  let watchFailed = false;
  /** Size and mtime per config file at the last poll. */
  let signatures: Map<string, string> | undefined;

  /** A file's event names it; a rename may also be a directory coming or going, so the watchers are synced. */
  const changed = (path?: string, rename = true) => {
    if (closed) return;
    onChange(path);
    if (rename) void sync();
  };

  /** Adds watchers for new directories and drops those of removed ones. */
  async function sync(): Promise<void> {
    const found = await walk(dir).catch(() => ({ files: [], dirs: [dir] }));
    if (closed) return;
    const wanted = new Set(found.dirs);
    for (const [path, w] of watchers) {
      if (!wanted.has(path)) {
        w.close();
        watchers.delete(path);
      }
    }
    for (const path of wanted) {
      if (watchers.has(path)) continue;
      try {
        const w = fsWatch(path, { persistent: true }, (event, name) => {
          changed(name ? join(path, name.toString()) : undefined, event === "rename");
        });
        w.on("error", () => {
          w.close();
          watchers.delete(path);
          changed();
        });
        watchers.set(path, w);
      } catch {
        watchFailed = true;
      }
    }
  }

  /**
   * Size and mtime of every config file: a change the watchers missed still shows up here, by file. The stats are
   * synchronous, STATS_PER_TURN at a time with the event loop let run in between: a promise per file (a thousand
   * at once every two seconds) cost the control plane ~3× the CPU, and its garbage.
   */
  async function poll(): Promise<void> {
    const { files } = await walk(dir).catch(() => ({ files: [] as string[] }));
    const next = new Map<string, string>();
    for (let i = 0; i < files.length; i++) {
      if (i > 0 && i % STATS_PER_TURN === 0) await new Promise((resume) => setImmediate(resume));
      if (closed) return;
      const s = statSync(files[i], { throwIfNoEntry: false });
      next.set(files[i], `${s?.size}:${s?.mtimeMs}`);
    }
    const before = signatures;
    signatures = next;
    if (before === undefined || closed) return;
    if ([...before.keys()].some((f) => !next.has(f))) return changed(); // a file went away: list again
    for (const [f, sig] of next) if (before.get(f) !== sig) changed(f, false);
  }

  void sync();
  void poll();
  let timer: ReturnType<typeof setInterval> | undefined;
  const startPolling = (ms: number) => {
    timer = setInterval(() => void poll(), ms);
    timer.unref();
  };
  startPolling(pollMs ?? 2000);
  // Fall back to fast polling if fs.watch is not available here.
  const check = setTimeout(() => {
    if (watchFailed && pollMs === undefined && !closed) {
      clearInterval(timer);
      startPolling(250);
    }
  }, 100);
  check.unref();

  return () => {
    closed = true;
    clearInterval(timer);
    clearTimeout(check);
    for (const w of watchers.values()) w.close();
    watchers.clear();
  };
}
