// The weft CLI as a user runs it: help text, bootstrap errors that name file/line/field, graceful drain on SIGTERM.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpBootstrap, startUpstream, staticCluster, type Upstream } from "../support/harness.ts";

const root = join(import.meta.dirname, "../..");
const weft = join(root, "bin/weft.js");
const dir = mkdtempSync(join(tmpdir(), "weft-cli-"));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("node", [weft, ...args], { cwd: root, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("weft --help", () => {
  it("lists the commands and explains each one's options", async () => {
    const top = await run(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/proxy\s+Run a sidecar/);
    const proxy = await run(["proxy", "--help"]);
    expect(proxy.code).toBe(0);
    expect(proxy.stdout).toContain("--config-path");
    expect(proxy.stdout).toContain("--drain-time-s");
  });

  it("explains weft control's debounce flags and rejects a duration it cannot read", async () => {
    const help = await run(["control", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--debounce-after <d>");
    expect(help.stdout).toContain("PILOT_DEBOUNCE_MAX");
    const bad = await run(["control", "--config", dir, "--debounce-after", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--debounce-after: "soon" is not a duration; write it like 10ms, 1s or 1.5s',
    );
    const zero = await run(["control", "--config", dir, "--debounce-max", "0s"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--debounce-max: "0s" is not a positive duration');
    const long = await run(["control", "--config", dir, "--debounce-max", "1000h"]);
    expect(long.code).toBe(2);
    expect(long.stderr).toContain("at most 24 days");
    const crossed = await run(["control", "--config", dir, "--debounce-after", "2s", "--debounce-max", "1s"]);
    expect(crossed.code).toBe(2);
    expect(crossed.stderr).toContain("--debounce-after (2s) is longer than --debounce-max (1s)");
  });

  it("rejects an unknown command and an unknown flag with usage", async () => {
    const bad = await run(["proxi"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command "proxi"');
    const flag = await run(["proxy", "--nope"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--nope");
  });
});

describe("bootstrap errors", () => {
  it("names the file, line and field of an unsupported field", async () => {
    const file = join(dir, "unsupported.yaml");
    writeFileSync(
      file,
      httpBootstrap({
        routes:
          "virtual_hosts: [{ name: a, domains: ['*'], routes: [{ match: { prefix: / }, route: { cluster: c } }] }]",
        clusters: staticCluster("c", [1]) + "  outlier_detection: { consecutive_5xx: 3 }\n",
      }),
    );
    const res = await run(["proxy", "-c", file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("unsupported.yaml:");
    expect(res.stderr).toContain("static_resources.clusters[0].outlier_detection");
  });

  it("reports YAML syntax errors with a position and does not start", async () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "static_resources:\n  listeners: [\n");
    const res = await run(["proxy", "-c", file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/broken\.yaml:\d+/);
  });

  it("says what to do when the file does not exist", async () => {
    const res = await run(["proxy", "-c", join(dir, "missing.yaml")]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("cannot read bootstrap");
  });
});

describe("graceful drain on SIGTERM", () => {
  let slow: Upstream;
  let child: ChildProcess;
  let port: number;

  beforeAll(async () => {
    slow = await startUpstream("slow", (_req, res) => setTimeout(() => res.end("finished"), 600));
    const listenerPort = 20000 + Math.floor(Math.random() * 20000);
    const file = join(dir, "drain.yaml");
    writeFileSync(
      file,
      httpBootstrap({
        routes:
          "virtual_hosts: [{ name: a, domains: ['*'], routes: [{ match: { prefix: / }, route: { cluster: slow } }] }]",
        clusters: staticCluster("slow", [slow.port]),
      }).replace("port_value: 0", `port_value: ${listenerPort}`),
    );
    child = spawn("node", [weft, "proxy", "-c", file, "--drain-time-s", "5"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => d.toString().includes("listener") && resolve());
      child.once("exit", (code) => reject(new Error(`weft exited early with ${code}`)));
    });
    port = listenerPort;
  });

  afterAll(async () => {
    child.kill("SIGKILL");
    await slow.close();
  });

  it("finishes the in-flight request, refuses new connections, then exits 0", async () => {
    const inflight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/" }, (res) => {
        let body = "";
        res.on("data", (c) => body += c);
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      });
      req.on("error", reject);
      req.end();
    });
    await new Promise((r) => setTimeout(r, 150));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const signalled = performance.now();
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    const refused = await new Promise<string>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: "/", agent: false }, () => resolve("accepted"));
      req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
      req.end();
    });
    expect(refused).toBe("ECONNREFUSED");
    expect(await inflight).toEqual({ status: 200, body: "finished" });
    expect(await exited).toBe(0);
    // Exits once the in-flight request is done, not when some leftover timer (a 15 s route timeout) lets it.
    expect(performance.now() - signalled).toBeLessThan(3000);
  });
});

describe("weft proxy --xds", () => {
  it("follows a control plane with a generated ADS bootstrap and serves the routes it pushes", async () => {
    const { startNodeControlPlane } = await import("../../adapters/node/start-control.ts");
    const { createServer } = await import("node:http");
    const web = createServer((_req, res) => res.end("web-v1"));
    await new Promise<void>((r) => web.listen(8080, "127.0.8.1", r));
    const configDir = mkdtempSync(join(tmpdir(), "weft-xds-cli-"));
    writeFileSync(
      join(configDir, "web.yaml"),
      `apiVersion: v1
kind: Service
metadata: { name: web }
spec: { ports: [{ port: 8080, name: http }], selector: { app: web } }
---
apiVersion: v1
kind: Pod
metadata: { name: web-0, labels: { app: web } }
status: { podIP: 127.0.8.1 }
`,
    );
    const control = await startNodeControlPlane({ configDir, xdsPort: 0, monitoringPort: 0, log: () => {} });
    const proxy = spawn("node", [
      weft,
      "proxy",
      "--xds",
      `127.0.0.1:${control.xdsPort}`,
      "--ip",
      "127.0.8.2",
      "--pod",
      "client-0",
      "--labels",
      "app=client",
      "--meta",
      "WEFT_OUTBOUND_ADDRESS=127.0.8.3",
    ], { cwd: root, stdio: "ignore" });
    try {
      let body = "";
      for (let i = 0; i < 100 && body !== "web-v1"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        body = await new Promise<string>((resolve) => {
          const req = request(
            { host: "127.0.8.3", port: 8080, path: "/", headers: { host: "web:8080" } },
            (res) => {
              let b = "";
              res.on("data", (c) => b += c);
              res.on("end", () => resolve(b));
            },
          );
          req.on("error", () => resolve(""));
          req.end();
        });
      }
      expect(body).toBe("web-v1");
      const status = await (await fetch(`http://127.0.0.1:${control.monitoringPort}/debug/push_status`))
        .json() as {
          proxies: { identity: { id: string; labels: Record<string, string> } }[];
        };
      expect(status.proxies.map((p) => p.identity.id)).toContain(
        "sidecar~127.0.8.2~client-0.default~default.svc.cluster.local",
      );
    } finally {
      proxy.kill("SIGKILL");
      await control.close();
      web.close();
    }
  });
});
