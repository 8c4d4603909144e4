// Node side of the workerd tests: the conformance upstream, control servers; handed over with project.provide.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { startFixedControl } from "./node/fixed-control.ts";
import { startMeshControl } from "./node/mesh-control.ts";
import type {} from "./support/provided.ts";

/** Starts tests/conformance/upstream-server.ts (the runtime-neutral behaviour upstream) and reads its ports. */
async function startUpstream(): Promise<{ child: ChildProcess; ports: number[]; closedPort: number }> {
  const script = fileURLToPath(new URL("../conformance/upstream-server.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["pipe", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`upstream-server exited with ${code}`)));
  });
  return { child, ...(JSON.parse(line) as { ports: number[]; closedPort: number }) };
}

export default async function setup(project: TestProject) {
  const upstream = await startUpstream();
  const fixed = await startFixedControl(upstream.ports);
  const mesh = await startMeshControl(upstream.ports[1], upstream.ports[2]);
  project.provide("workers", {
    upstreamPorts: upstream.ports,
    closedPort: upstream.closedPort,
    fixedControlUrl: fixed.url,
    fixedAdminUrl: fixed.adminUrl,
    meshControlUrl: mesh.url,
  });
  return async () => {
    await fixed.close();
    await mesh.close();
    upstream.child.stdin?.end();
    upstream.child.kill();
  };
}
