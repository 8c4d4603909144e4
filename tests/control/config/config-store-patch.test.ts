// The config store applies an edit of a few files by patching its snapshot: the result must equal a full rebuild.
import { describe, expect, it } from "vitest";
import type { ConfigFile } from "../../../control/config/config-store.ts";
import { createConfigStore } from "../../../control/config/config-store.ts";
import { formatProblem } from "../../../control/config/problem.ts";

const service = (name: string, ns: string, port: number) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  selector:\n    app: ${name}\n` +
  `  ports:\n  - name: http\n    port: ${port}\n`;
const virtualService = (name: string, ns: string, host: string) =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n` +
  `spec:\n  hosts:\n  - ${host}\n  http:\n  - route:\n    - destination:\n        host: ${host}\n`;

/** Forty files: a Service each, every fifth also a VirtualService for it (two documents in one file). */
function mesh(): Map<string, string> {
  const files = new Map<string, string>();
  for (let i = 0; i < 40; i++) {
    const ns = `ns-${i % 3}`;
    let text = service(`svc-${i}`, ns, 8000 + i);
    if (i % 5 === 0) text += `---\n${virtualService(`vs-${i}`, ns, `svc-${i}`)}`;
    files.set(`mesh/svc-${String(i).padStart(2, "0")}.yaml`, text);
  }
  return files;
}

const asFiles = (files: Map<string, string>): ConfigFile[] =>
  [...files].sort(([a], [b]) => (a < b ? -1 : 1)).map(([file, text]) => ({ file, text }));

/** What a store holds, in a form two stores can be compared by. */
function view(store: ReturnType<typeof createConfigStore>) {
  return {
    all: store.all().map((o) => JSON.stringify(o)),
    services: store.list("Service").map((o) => `${o.namespace}/${o.name}`),
    virtualServices: store.list("VirtualService").map((o) => `${o.namespace}/${o.name}`),
    size: store.size,
  };
}

describe("config store: patched snapshots", () => {
  it("equal a full rebuild after every edit, including removals, moves, renames and duplicates", () => {
    const files = mesh();
    const store = createConfigStore();
    let notified = 0;
    store.onChange(() => notified++);
    store.replaceAll(asFiles(files));
    const edits: [string, () => void][] = [
      ["change a port", () => files.set("mesh/svc-03.yaml", service("svc-3", "ns-0", 9999))],
      ["add a file", () => files.set("mesh/new.yaml", service("svc-new", "ns-1", 7000))],
      ["remove a file", () => files.delete("mesh/svc-07.yaml")],
      ["rename an object", () => files.set("mesh/svc-04.yaml", service("svc-4b", "ns-1", 8004))],
      ["add a document", () =>
        files.set(
          "mesh/svc-06.yaml",
          files.get("mesh/svc-06.yaml") + "---\n" +
            virtualService("vs-6", "ns-0", "svc-6"),
        )],
      ["move an object to another file", () => {
        files.set(
          "mesh/svc-08.yaml",
          service("svc-8", "ns-2", 8008) + "---\n" + service("svc-9", "ns-0", 8009),
        );
        files.delete("mesh/svc-09.yaml");
      }],
      ["only a comment", () => files.set("mesh/svc-11.yaml", "# tuned\n" + files.get("mesh/svc-11.yaml"))],
      ["a duplicate", () => files.set("mesh/dup.yaml", service("svc-12", "ns-0", 1))],
      ["the duplicate removed", () => files.delete("mesh/dup.yaml")],
      [
        "a VirtualService edited",
        () =>
          files.set(
            "mesh/svc-10.yaml",
            service("svc-10", "ns-1", 8010) + "---\n" +
              virtualService("vs-10", "ns-1", "svc-3"),
          ),
      ],
    ];
    for (const [what, edit] of edits) {
      const before = { version: store.version, notified, view: view(store) };
      edit();
      const problems = store.replaceAll(asFiles(files)).map(formatProblem);
      const fresh = createConfigStore();
      const freshProblems = fresh.replaceAll(asFiles(files)).map(formatProblem);
      expect(problems, what).toEqual(freshProblems);
      if (freshProblems.some((p) => p.includes("duplicate"))) {
        // Rejected: the last good set stays.
        expect(view(store), what).toEqual(before.view);
        expect(store.version, what).toBe(before.version);
        continue;
      }
      expect(view(store), what).toEqual(view(fresh));
      const changed = JSON.stringify(view(fresh)) !== JSON.stringify(before.view);
      expect(store.version, what).toBe(before.version + (changed ? 1 : 0));
      expect(notified, what).toBe(before.notified + (changed ? 1 : 0));
    }
  });

  it("keeps the arrays of kinds an edit did not touch", () => {
    const files = mesh();
    const store = createConfigStore();
    store.replaceAll(asFiles(files));
    const virtualServices = store.list("VirtualService");
    const services = store.list("Service");
    files.set("mesh/svc-03.yaml", service("svc-3", "ns-0", 9999));
    store.replaceAll(asFiles(files));
    expect(store.list("VirtualService")).toBe(virtualServices);
    expect(store.list("Service")).not.toBe(services);
    expect(store.get("Service", "ns-0", "svc-3")?.spec).toMatchObject({ ports: [{ port: 9999 }] });
    expect(services.find((s) => s.name === "svc-3")?.spec).toMatchObject({ ports: [{ port: 8003 }] });
  });
  it("stay right after a reload that found the same objects again (a comment, or a broken save reverted)", () => {
    const store = createConfigStore();
    const a = service("a", "ns", 80);
    const b = { file: "b.yaml", text: service("b", "ns", 80) };
    store.replaceAll([{ file: "a.yaml", text: a }, b]);
    store.replaceAll([{ file: "a.yaml", text: a + "# tuned\n" }, b]);
    expect(store.version).toBe(1);
    store.replaceAll([{ file: "a.yaml", text: service("a", "ns", 81) }, b]);
    expect(view(store).services).toEqual(["ns/a", "ns/b"]);
    expect(store.get("Service", "ns", "a")?.spec).toMatchObject({ ports: [{ port: 81 }] });
    // Broken, then reverted (the same objects, parsed anew), then deleted.
    expect(
      store.replaceAll([{ file: "a.yaml", text: "kind: Service\nmetadata: [oops\n" }, b])
        .some((p) => p.severity === "error"),
    ).toBe(true);
    store.replaceAll([{ file: "a.yaml", text: service("a", "ns", 81) }, b]);
    expect(store.version).toBe(2);
    store.replaceAll([b]);
    expect(view(store)).toEqual({ ...view(store), services: ["ns/b"], size: 1 });
    expect(store.all()).toHaveLength(1);
  });

  it("treat one name given twice as two files", () => {
    const store = createConfigStore();
    store.replaceAll([{ file: "x.yaml", text: service("a", "ns", 80) }, {
      file: "x.yaml",
      text: service("b", "ns", 80),
    }]);
    expect(view(store).services).toEqual(["ns/a", "ns/b"]);
  });

  it("equal a full rebuild over a long run of random edits", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor(seed / 2 ** 15) % n; // the high bits: an LCG's low bits repeat quickly
    };
    const files = mesh();
    const store = createConfigStore();
    store.replaceAll(asFiles(files));
    const name = (i: number) => `mesh/svc-${String(i).padStart(2, "0")}.yaml`;
    const edits = [
      (i: number) => files.set(name(i), service(`svc-${i}`, `ns-${i % 3}`, 7000 + random(5))),
      (i: number) => files.set(`mesh/extra-${i}.yaml`, service(`svc-x${i}`, "ns-0", 6000 + random(3))),
      (i: number) => files.delete(name(i)),
      (i: number) => files.delete(`mesh/extra-${i}.yaml`),
      (i: number) => files.has(name(i)) && files.set(name(i), files.get(name(i)) + "# c\n"),
      (i: number) => files.set(`mesh/vs-${i}.yaml`, virtualService(`vs-${i}`, "ns-1", `svc-${i}`)),
      (i: number) => files.set(`mesh/vs-${i}.yaml`, virtualService(`vs-${i}`, "ns-1", `svc-${random(40)}`)),
      // Rejected sets: a broken file, a key defined twice. Each is undone by a later step.
      () => files.set("mesh/broken.yaml", "kind: Service\nmetadata: [oops\n"),
      (i: number) => files.set("mesh/dup.yaml", service(`svc-${i}`, `ns-${i % 3}`, 1)),
      ...Array.from(
        { length: 3 },
        () => () => (files.delete("mesh/broken.yaml"), files.delete("mesh/dup.yaml")),
      ),
    ];
    let rejected = 0;
    for (let step = 0; step < 400; step++) {
      edits[random(edits.length)](random(40));
      const problems = store.replaceAll(asFiles(files));
      const fresh = createConfigStore();
      const freshProblems = fresh.replaceAll(asFiles(files));
      expect(problems.map(formatProblem), `step ${step}`).toEqual(freshProblems.map(formatProblem));
      if (freshProblems.some((p) => p.severity === "error")) {
        rejected++;
        continue; // the store keeps its last good set; a fresh one has none
      }
      expect(view(store), `step ${step}`).toEqual(view(fresh));
      expect(store.all(), `step ${step}`).toHaveLength(store.size);
    }
    // Both kinds of step happened often: accepted edits and rejected ones (broken files, duplicates).
    expect(rejected).toBeGreaterThan(40);
    expect(rejected).toBeLessThan(360);
  });
});
