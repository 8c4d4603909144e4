// The assembled control plane: nothing is published before a good config load; a fix makes config flow.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { NodeSchema } from "../../gen/envoy/config/core/v3/base_pb.ts";
import { type ControlPlane, createControlPlane } from "../../control/control-plane.ts";
import { parseProxyIdentity } from "../../control/xds/node-identity.ts";
import { createNodeFileSystem } from "../../adapters/node/node-file-system.ts";
import { nodeClock } from "../../adapters/node/runtime.ts";

const SERVICE = `apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  ports: [{ port: 8080, name: http }]
  selector: { app: web }
`;

describe("control plane", () => {
  let cp: ControlPlane | undefined;
  afterEach(() => cp?.close());

  it("publishes nothing until the config directory loads without errors, then publishes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-cp-"));
    writeFileSync(join(dir, "broken.yaml"), "kind: Service\nmetadata: [oops\n");
    const log: string[] = [];
    cp = createControlPlane({
      clock: nodeClock,
      now: Date.now,
      fs: createNodeFileSystem(),
      configDir: dir,
      log: (l) => log.push(l),
      quietMs: 10,
    });
    const problems = await cp.start();
    expect(problems.some((p) => p.severity === "error")).toBe(true);
    expect(log.join("\n")).toContain("nothing from it is pushed");
    expect(cp.warmUp()).toBeUndefined();
    const node = create(NodeSchema, { id: "sidecar~10.0.0.1~web-0.default~default.svc.cluster.local" });
    const identity = parseProxyIdentity(node);
    expect(await cp.pipeline.provider.snapshotFor(identity, node)).toBeUndefined();

    writeFileSync(join(dir, "broken.yaml"), SERVICE);
    const deadline = Date.now() + 5000;
    let snapshot;
    while (!snapshot && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      snapshot = await cp.pipeline.provider.snapshotFor(identity, node);
    }
    expect(snapshot).toBeDefined();
    const clusters = snapshot!.resources.get("type.googleapis.com/envoy.config.cluster.v3.Cluster")!;
    expect([...clusters.keys()]).toContain("outbound|8080||web.default.svc.cluster.local");
  });

  it("warms up on a throw-away sidecar: nothing is published, no proxy counts as connected", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-cp-"));
    writeFileSync(join(dir, "web.yaml"), SERVICE);
    cp = createControlPlane({
      clock: nodeClock,
      now: Date.now,
      fs: createNodeFileSystem(),
      configDir: dir,
      log: () => {},
      quietMs: 10,
    });
    await cp.start();
    const warmed = cp.warmUp();
    expect(cp.pipeline.connected()).toEqual([]);
    expect(cp.status.toJSON().proxies).toEqual([]);
    expect(cp.cache.get("sidecar~0.0.0.0~warm-up.weft-warm-up~weft-warm-up.svc.cluster.local"))
      .toBeUndefined();
    // It built what a sidecar of another namespace gets.
    const node = create(NodeSchema, { id: "sidecar~10.0.9.9~client-0.other~other.svc.cluster.local" });
    const snapshot = await cp.pipeline.provider.snapshotFor(parseProxyIdentity(node), node);
    expect(warmed).toBe([...snapshot!.resources.values()].reduce((n, map) => n + map.size, 0));
  });
});
