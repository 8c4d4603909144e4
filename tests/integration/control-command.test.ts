// `weft control` as a user runs it: the control plane in its worker thread loads and serves the config, stops on
// SIGTERM, and names a port it cannot listen on.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CONTROL_RESOURCE_LIMITS, startControlThread } from "../../adapters/node/control-thread.ts";

const root = join(import.meta.dirname, "../..");
const weft = join(root, "bin/weft.js");

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function meshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "weft-control-"));
  cpSync(join(root, "examples/mesh"), dir, { recursive: true });
  dirs.push(dir);
  return dir;
}

/** Runs `weft control` until its "xDS on" line; the child and the ports it printed. */
function startControl(args: string[]) {
  const child = spawn("node", [weft, "control", ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => stderr += d);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = new Promise<{ xds: number; monitoring: number }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d;
      const m = /xDS on :(\d+), monitoring on :(\d+)/.exec(out);
      if (m) resolve({ xds: Number(m[1]), monitoring: Number(m[2]) });
    });
    void exited.then((code) => reject(new Error(`weft control exited with ${code}: ${stderr}`)));
  });
  ready.catch(() => {}); // a test that expects the exit does not wait for `ready`
  return { child, ready, exited, stderr: () => stderr };
}

/** `weft control` on the example mesh, any free ports, plus `args`. */
const startMesh = (...args: string[]) =>
  startControl(["--config", meshDir(), "--xds-port", "0", "--monitoring-port", "0", ...args]);

describe("weft control", () => {
  it("serves the config it loaded in its worker thread and exits 0 on SIGTERM", async () => {
    const control = startMesh();
    try {
      const { monitoring } = await control.ready;
      const ready = await fetch(`http://127.0.0.1:${monitoring}/ready`);
      expect(await ready.text()).toBe("ready\n");
      const registry = await (await fetch(`http://127.0.0.1:${monitoring}/debug/registry`)).json() as {
        services: { hostname: string }[];
      };
      expect(registry.services.map((s) => s.hostname)).toContain("reviews.default.svc.cluster.local");
      control.child.kill("SIGTERM");
      expect(await control.exited).toBe(0);
    } finally {
      control.child.kill("SIGKILL");
    }
  });

  it("stops cleanly on a SIGTERM sent as soon as it says where it listens", async () => {
    const control = startMesh();
    try {
      await control.ready;
      control.child.kill("SIGTERM");
      expect(await control.exited).toBe(0);
    } finally {
      control.child.kill("SIGKILL");
    }
  });

  it("names the port it cannot listen on and exits 1", async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    const control = startMesh("--xds-port", String(port));
    try {
      expect(await control.exited).toBe(1);
      expect(control.stderr()).toContain(`weft control: --xds-port: cannot listen on 127.0.0.1:${port}`);
    } finally {
      control.child.kill("SIGKILL");
      taken.close();
    }
  });

  it("rejects a port number that is not one before starting anything", async () => {
    const control = startMesh("--monitoring-port", "99999");
    try {
      expect(await control.exited).toBe(2);
      expect(control.stderr()).toContain(
        'weft control: --monitoring-port: "99999" is not a port; give a number from 0 to 65535',
      );
    } finally {
      control.child.kill("SIGKILL");
    }
  });
});

describe("startControlThread", () => {
  it("creates the control plane's worker with CONTROL_RESOURCE_LIMITS and stops it cleanly", async () => {
    const thread = await startControlThread({ configDir: meshDir(), xdsPort: 0, monitoringPort: 0 });
    let code: number | undefined;
    try {
      expect(thread.resourceLimits.maxYoungGenerationSizeMb).toBe(
        CONTROL_RESOURCE_LIMITS.maxYoungGenerationSizeMb,
      );
      const ready = await fetch(`http://127.0.0.1:${thread.monitoringPort}/ready`);
      expect(ready.status).toBe(200);
    } finally {
      code = await thread.close();
    }
    expect(code).toBe(0);
    expect(await thread.exited).toBe(0);
  });

  it("reports a worker that fails after it was ready: its error is printed, the exit code is 1", async () => {
    const printed: string[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => printed.push(args.join(" "));
    try {
      const crashing = new URL("../fixtures/crashing-control-worker.ts", import.meta.url);
      const thread = await startControlThread({ configDir: meshDir() }, crashing);
      expect(await thread.exited).toBe(1);
    } finally {
      console.error = error;
    }
    expect(printed.join("\n")).toContain(
      "weft control: the control plane failed: Error: a bug in the control plane",
    );
  });
});
