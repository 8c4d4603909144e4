// The Node file system port's watch: fs.watch events, plus the poll that finds edits the watcher cannot see.
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createNodeFileSystem } from "../../../adapters/node/node-file-system.ts";

const roots: string[] = [];
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A config directory with one file, and a hard link to that file outside it: a write through the link changes
 * the config file without any event on the directory fs.watch is watching.
 */
function linkedConfig() {
  const root = mkdtempSync(join(tmpdir(), "weft-fs-"));
  roots.push(root);
  mkdirSync(join(root, "config"));
  mkdirSync(join(root, "elsewhere"));
  const file = join(root, "config", "reviews.yaml");
  const link = join(root, "elsewhere", "reviews.yaml");
  writeFileSync(file, "a: 1\n");
  linkSync(file, link);
  return { dir: join(root, "config"), file, link };
}

function watchWith(pollMs: number, dir: string): (string | undefined)[] {
  const seen: (string | undefined)[] = [];
  stops.push(createNodeFileSystem({ pollMs }).watch(dir, (path) => seen.push(path)));
  return seen;
}

describe("createNodeFileSystem().watch", () => {
  it("names the file an edit in the directory changed", async () => {
    const { dir, file } = linkedConfig();
    const seen = watchWith(60_000, dir);
    await sleep(100);
    writeFileSync(file, "a: 2\n");
    await expect.poll(() => seen.includes(file), { timeout: 3000 }).toBe(true);
  });

  it("finds by its poll an edit the watcher cannot see, and only by its poll", async () => {
    const quiet = linkedConfig();
    const unseen = watchWith(60_000, quiet.dir);
    const polled = linkedConfig();
    const seen = watchWith(50, polled.dir);
    await sleep(300); // polls (every 50 ms) have recorded every file's size and mtime
    writeFileSync(quiet.link, "a: 22\n");
    writeFileSync(polled.link, "a: 22\n");
    await expect.poll(() => seen.includes(polled.file), { timeout: 3000 }).toBe(true);
    await sleep(300);
    expect(unseen).toEqual([]); // the watcher alone never heard of it
  });
});
