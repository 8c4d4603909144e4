// The directory source: reloads on change (bursts coalesced), keeps the last good config; with the Node file
// system it notices real edits, including editors' write-to-temp-then-rename saves, well within a second.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createNodeFileSystem } from "../../../adapters/node/node-file-system.ts";
import { createConfigStore } from "../../../control/config/config-store.ts";
import type { FileSystemPort, Timers } from "../../../control/config/directory-source.ts";
import { createDirectorySource, isConfigPath } from "../../../control/config/directory-source.ts";
import { bookinfo } from "./helpers.ts";

const vs = (subset: string) =>
  bookinfo("networking/virtual-service-all-v1.yaml").text.split("---\n")[1].replace(
    "subset: v1",
    `subset: ${subset}`,
  );

/** An in-memory file system whose watch callback the test fires by hand. */
function memoryFs(files: Map<string, string>) {
  let fire: (path?: string) => void = () => {};
  let lists = 0;
  const reads: string[] = [];
  const fs: FileSystemPort = {
    list: async () => {
      lists++;
      return [...files.keys()].sort();
    },
    read: async (path) => {
      reads.push(path);
      const text = files.get(path);
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
    watch: (_dir, onChange) => {
      fire = onChange;
      return () => (fire = () => {});
    },
  };
  return { fs, change: (path?: string) => fire(path), lists: () => lists, reads };
}

/** Timers the test advances by hand. */
function manualTimers() {
  let pending: { fn: () => void; at: number } | undefined;
  let now = 0;
  const timers: Timers = {
    setTimeout: (fn, ms) => (pending = { fn, at: now + ms }),
    clearTimeout: () => (pending = undefined),
    now: () => now,
  };
  return {
    timers,
    advance(ms: number) {
      now += ms;
      if (pending && pending.at <= now) {
        const { fn } = pending;
        pending = undefined;
        fn();
      }
    },
  };
}

/** A source over an in-memory directory "/cfg", with hand-driven timers and its log lines collected. */
function memorySource(files: Map<string, string>) {
  const mem = memoryFs(files);
  const clock = manualTimers();
  const store = createConfigStore();
  const lines: string[] = [];
  const source = createDirectorySource({
    fs: mem.fs,
    dir: "/cfg",
    store,
    log: (l) => lines.push(l),
    timers: clock.timers,
  });
  return { mem, clock, store, lines, source };
}

describe("createDirectorySource", () => {
  it("loads once, reads a burst of changes once, at once, and keeps the last good config on errors", async () => {
    const files = new Map([["/cfg/reviews.yaml", vs("v1")]]);
    const { mem, clock, store, lines, source } = memorySource(files);
    expect(await source.start()).toEqual([]);
    expect(store.version).toBe(1);
    expect(lines).toEqual(["config version 1: 1 objects from 1 files in /cfg"]);

    // The events of one write arrive together: one read, on the next turn of the event loop, not after a delay.
    files.set("/cfg/reviews.yaml", vs("v2"));
    for (let i = 0; i < 5; i++) mem.change();
    expect(mem.lists()).toBe(1);
    clock.advance(0);
    await source.idle();
    expect(mem.lists()).toBe(2);
    expect(store.version).toBe(2);
    expect(store.get("VirtualService", "default", "reviews")?.spec.http?.[0].route?.[0].destination.subset)
      .toBe("v2");

    // Caught half-written: the read's errors are held back for the settle time; the finished write is accepted
    // and nothing was reported in between.
    const full = vs("v3");
    files.set("/cfg/reviews.yaml", full.slice(0, full.indexOf("destination:") + 6));
    mem.change();
    clock.advance(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.version).toBe(2);
    expect(store.problems().some((p) => p.severity === "error")).toBe(true);
    expect(lines).toHaveLength(2);
    clock.advance(20);
    files.set("/cfg/reviews.yaml", full);
    mem.change();
    clock.advance(0);
    await source.idle();
    expect(store.version).toBe(3);
    expect(lines).toEqual([
      "config version 1: 1 objects from 1 files in /cfg",
      "config version 2: 1 objects from 1 files in /cfg",
      "config version 3: 1 objects from 1 files in /cfg",
    ]);

    // Still wrong once the settle time has passed: reported, and the last good config stays.
    files.set("/cfg/reviews.yaml", vs("Bad_Subset"));
    mem.change();
    clock.advance(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(3);
    clock.advance(50);
    await source.idle();
    expect(store.version).toBe(3);
    expect(lines.slice(-2)).toEqual([
      `reviews.yaml:12: VirtualService default/reviews: spec.http[0].route[0].destination.subset: subset name "Bad_Subset" is invalid`,
      "config in /cfg rejected (1 error); keeping config version 3",
    ]);
    source.stop();
  });

  it("reports held-back errors once changes keep coming for ten settle times, and never spins on an unreadable directory", async () => {
    const files = new Map([["/cfg/reviews.yaml", vs("v1")]]);
    const { mem, clock, store, lines, source } = memorySource(files);
    await source.start();
    const turn = () => new Promise((resolve) => setImmediate(resolve));

    // A broken file rewritten every 20 ms: the error waits at most 10 × 50 ms, not for the writes to stop.
    files.set("/cfg/reviews.yaml", vs("Bad_Subset"));
    let reported = -1;
    for (let t = 0; t <= 700 && reported < 0; t += 20) {
      mem.change("/cfg/reviews.yaml");
      clock.advance(0);
      await turn();
      if (lines.some((l) => l.includes("rejected"))) reported = t;
      clock.advance(20);
    }
    expect(reported).toBeGreaterThanOrEqual(480);
    expect(reported).toBeLessThanOrEqual(520);
    expect(store.version).toBe(1);

    // Errors held back, then the directory cannot be listed: reported once, then nothing until the next event.
    files.set("/cfg/reviews.yaml", vs("Other_Bad"));
    mem.change("/cfg/reviews.yaml");
    clock.advance(0);
    await turn();
    const unreadable = mem.fs.list;
    mem.fs.list = async () => {
      throw new Error("EACCES: permission denied");
    };
    clock.advance(50);
    await source.idle();
    const listsAfter = mem.lists();
    clock.advance(1000);
    await turn();
    expect(mem.lists()).toBe(listsAfter);
    expect(lines.filter((l) => l.includes("cannot read config"))).toHaveLength(1);
    mem.fs.list = unreadable;
    source.stop();
  });

  it("reads again only the files the watcher names; an unreadable or unknown path means a full listing", async () => {
    const files = new Map([["/cfg/a/reviews.yaml", vs("v1")], [
      "/cfg/other.yaml",
      vs("v1").replace("name: reviews", "name: other"),
    ]]);
    const { mem, clock, store, source } = memorySource(files);
    await source.start();
    const subset = (name: string) =>
      store.get("VirtualService", "default", name)?.spec.http?.[0].route?.[0].destination.subset;
    const settle = async () => {
      clock.advance(50);
      await source.idle();
    };

    mem.reads.length = 0;
    files.set("/cfg/a/reviews.yaml", vs("v2"));
    mem.change("/cfg/a/reviews.yaml");
    await settle();
    expect(mem.lists()).toBe(1);
    expect(mem.reads).toEqual(["/cfg/a/reviews.yaml"]);
    expect([subset("reviews"), subset("other")]).toEqual(["v2", "v1"]);
    expect(store.list("VirtualService").map((o) => o.source?.file)).toEqual(["other.yaml", "a/reviews.yaml"]);

    // A second event for the same edit (the poll, an editor's extra write) reads the file and stops there.
    let replaced = 0;
    const replaceAll = store.replaceAll.bind(store);
    store.replaceAll = (files) => (replaced++, replaceAll(files));
    mem.change("/cfg/a/reviews.yaml");
    await settle();
    expect(replaced).toBe(0);
    expect(mem.reads.at(-1)).toBe("/cfg/a/reviews.yaml");

    // A new file named by the watcher joins without a listing.
    files.set("/cfg/b.yaml", vs("v3").replace("name: reviews", "name: third"));
    mem.change("/cfg/b.yaml");
    await settle();
    expect(mem.lists()).toBe(1);
    expect(subset("third")).toBe("v3");

    // Deleted: the read fails, so the directory is listed again and the file's objects are gone.
    files.delete("/cfg/b.yaml");
    mem.change("/cfg/b.yaml");
    await settle();
    expect(mem.lists()).toBe(2);
    expect(store.get("VirtualService", "default", "third")).toBeUndefined();

    // Not a config file name (a directory, an editor's temp file): anything may have changed.
    mem.change("/cfg/a");
    mem.change("/cfg/a/.reviews.yaml.swp");
    await settle();
    expect(mem.lists()).toBe(3);
    source.stop();
  });

  it("tells config file paths from others", () => {
    expect(isConfigPath("/cfg", "/cfg/a/b.yaml")).toBe(true);
    expect(isConfigPath("./cfg/", "cfg/x.JSON")).toBe(true);
    expect(isConfigPath("/cfg", "/cfg/a/.b.yaml")).toBe(false);
    expect(isConfigPath("/cfg", "/cfg/..data/b.yaml")).toBe(false);
    expect(isConfigPath("/cfg", "/cfg/notes.txt")).toBe(false);
    expect(isConfigPath("/cfg", "/other/b.yaml")).toBe(false);
  });

  it("notices edits in a real directory with the Node file system, including rename-style saves", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-config-"));
    dirs.push(dir);
    mkdirSync(join(dir, "networking"));
    writeFileSync(join(dir, "networking/reviews.yaml"), vs("v1"));
    writeFileSync(join(dir, "notes.txt"), "not config");
    const store = createConfigStore();
    const source = createDirectorySource({ fs: createNodeFileSystem(), dir, store, log: () => {} });
    sources.push(source);
    await source.start();
    expect(store.list("VirtualService").map((o) => o.source?.file)).toEqual(["networking/reviews.yaml"]);

    const changed = (version: number) => waitFor(() => store.version >= version);
    let t0 = Date.now();
    writeFileSync(join(dir, "networking/reviews.yaml"), vs("v2"));
    await changed(2);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(store.get("VirtualService", "default", "reviews")?.spec.http?.[0].route?.[0].destination.subset)
      .toBe("v2");

    t0 = Date.now();
    writeFileSync(join(dir, "networking/.reviews.yaml.swp"), vs("v3"));
    renameSync(join(dir, "networking/.reviews.yaml.swp"), join(dir, "networking/reviews.yaml"));
    await changed(3);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(store.get("VirtualService", "default", "reviews")?.spec.http?.[0].route?.[0].destination.subset)
      .toBe("v3");

    mkdirSync(join(dir, "more"));
    await new Promise((r) => setTimeout(r, 100)); // let the watcher pick up the new directory
    t0 = Date.now();
    writeFileSync(
      join(dir, "more/details.json"),
      JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "details" },
        spec: { ports: [{ port: 9080 }] },
      }),
    );
    await changed(4);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(store.get("Service", "default", "details")?.source?.file).toBe("more/details.json");
  });
});

const dirs: string[] = [];
const sources: { stop(): void }[] = [];
afterEach(() => {
  for (const s of sources.splice(0)) s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting for the config to change");
    await new Promise((r) => setTimeout(r, 10));
  }
}
