// `weft analyze`: output lines in istioctl's style, JSON output, and exit codes 0 / 1 / 2.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runAnalyzeCommand } from "../../../adapters/node/cli-analyze.ts";
import { BOOKINFO } from "./helpers.ts";

let out: string[];
let err: string[];
let dir: string;

beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void out.push(args.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void err.push(args.join(" ")));
  dir = mkdtempSync(join(tmpdir(), "weft-analyze-"));
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** Copies Bookinfo files into the temp dir under their own names. */
function copy(...paths: string[]): void {
  for (const p of paths) cpSync(join(BOOKINFO, p), join(dir, p.split("/").pop() ?? p));
}

describe("runAnalyzeCommand", () => {
  it("exits 0 with a check mark when there is nothing to report", async () => {
    copy("networking/egress-rule-google-apis.yaml");
    expect(await runAnalyzeCommand([dir])).toBe(0);
    expect(out).toEqual([`✔ No validation issues found when analyzing ${dir}.`]);
  });

  it("exits 0 on warnings alone", async () => {
    copy(
      "platform/kube/bookinfo.yaml",
      "networking/destination-rule-all.yaml",
      "networking/virtual-service-all-v1.yaml",
    );
    expect(await runAnalyzeCommand([dir])).toBe(0);
    expect(out[0]).toBe(
      "Warning [IST0127] (DestinationRule default/ratings destination-rule-all.yaml:40) No matching workloads for this resource with the following labels: version=v2",
    );
    expect(out).toHaveLength(4);
  });

  it("exits 1 on errors and prints each as Error [CODE] (Kind ns/name file:line) message", async () => {
    copy("platform/kube/bookinfo.yaml", "networking/destination-rule-all.yaml");
    writeFileSync(
      join(dir, "reviews.yaml"),
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts:\n  - reviews\n  http:\n  - route:\n    - destination:\n        host: reviewz\n      weight: 150\n",
    );
    expect(await runAnalyzeCommand([dir])).toBe(1);
    expect(out.slice(0, 2)).toEqual([
      `Error [IST0101] (VirtualService default/reviews reviews.yaml:11) Referenced host not found: "reviewz"`,
      "Error [IST0106] (VirtualService default/reviews reviews.yaml:12) Schema validation error: spec.http[0].route[0].weight: must be 0..100, got 150",
    ]);
  });

  it("reports YAML that does not parse, with its line", async () => {
    writeFileSync(join(dir, "broken.yaml"), "apiVersion: v1\nkind: Service\nmetadata:\n  name: [x\n");
    expect(await runAnalyzeCommand([join(dir, "broken.yaml")])).toBe(1);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^Error \[IST0106\] \(.*broken\.yaml:\d+\) Schema validation error: invalid YAML: /,
    );
  });

  it("prints JSON with --output json", async () => {
    copy("networking/bookinfo-gateway.yaml");
    expect(await runAnalyzeCommand(["--output", "json", dir])).toBe(1);
    const problems = JSON.parse(out.join("\n"));
    expect(problems).toEqual([
      expect.objectContaining({
        code: "IST0101",
        level: "Error",
        origin: "VirtualService default/bookinfo",
        reference: "bookinfo-gateway.yaml:41",
        message: `Referenced host not found: "productpage"`,
        field: "spec.http[0].route[0].destination.host",
      }),
    ]);
  });

  it("exits 2 on usage errors, 0 with --help", async () => {
    expect(await runAnalyzeCommand([])).toBe(2);
    expect(await runAnalyzeCommand(["--frobnicate", dir])).toBe(2);
    expect(await runAnalyzeCommand(["-o", "yaml", dir])).toBe(2);
    expect(await runAnalyzeCommand([join(dir, "missing")])).toBe(2);
    expect(err.join("\n")).toMatch(/no such file or directory/);
    expect(await runAnalyzeCommand(["--help"])).toBe(0);
    expect(out.join("\n")).toMatch(/^Usage: weft analyze <dir\|file>/);
  });
});
