// In-process cost of one push without sockets: `node --import tsx bench/control/translate-bench.ts [--services N] [--proxies N]`.
// Loads the generated config into createControlPlane, "connects" N proxies through the pipeline's provider, then
// times a full push (translate + snapshot for every proxy) and packing every resource as the ADS server does.
import { create } from "@bufbuild/protobuf";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createControlPlane } from "../../control/control-plane.ts";
import { parseProxyIdentity } from "../../control/xds/node-identity.ts";
import { packResource, resourceType } from "../../control/xds/resource-types.ts";
import { createNodeFileSystem } from "../../adapters/node/node-file-system.ts";
import { nodeClock } from "../../adapters/node/runtime.ts";
import { NodeSchema } from "../../gen/envoy/config/core/v3/base_pb.ts";
import { endpointSliceFile, endpointSliceYaml, generateConfig } from "./config-gen.ts";
import { changedIp, type MeshShape, proxySpec } from "./layout.ts";
import { nodeOf } from "./sim-common.ts";

const { values } = parseArgs({
  options: { services: { type: "string" }, proxies: { type: "string" }, pushes: { type: "string" } },
});
const shape: MeshShape = {
  services: Number(values.services ?? 1000),
  endpointsPerService: 10,
  namespaces: 5,
  subsetEvery: 10,
  proxies: Number(values.proxies ?? 50),
};
const dir = join(tmpdir(), `weft-translate-bench-${process.pid}`);
generateConfig(dir, shape);
/** Result, wall ms and this process's CPU ms (the machine is shared: CPU time is the steadier number). */
const time = async <T>(fn: () => T | Promise<T>): Promise<[T, number, number]> => {
  const t = performance.now();
  const c = process.cpuUsage();
  const v = await fn();
  const used = process.cpuUsage(c);
  return [v, performance.now() - t, (used.user + used.system) / 1000];
};

const cp = createControlPlane({
  clock: nodeClock,
  now: () => Date.now(),
  fs: createNodeFileSystem(),
  configDir: dir,
  log: (line) => console.error(line),
  quietMs: 1_000_000,
});
const [, loadMs] = await time(() => cp.start());
const [push, contextMs] = await time(() => cp.pushContext());
console.log(
  `config load ${loadMs.toFixed(0)} ms; push context ${
    contextMs.toFixed(0)
  } ms (${push.services.length} services)`,
);

const identities = Array.from({ length: shape.proxies }, (_, p) => {
  const node = create(NodeSchema, nodeOf(proxySpec(p, shape)));
  return { node, identity: parseProxyIdentity(node) };
});
const [snapshots, firstMs, firstCpu] = await time(async () => {
  const out = [];
  for (const { node, identity } of identities) {
    cp.pipeline.provider.onProxyConnected?.(identity, node);
    out.push(await cp.pipeline.provider.snapshotFor(identity, node));
  }
  return out;
});
const resources = snapshots.reduce(
  (n, s) => n + [...(s?.resources.values() ?? [])].reduce((m, r) => m + r.size, 0),
  0,
);
console.log(
  `first connect: ${firstMs.toFixed(0)} ms, CPU ${firstCpu.toFixed(0)} ms for ${shape.proxies} proxies (` +
    `${(resources / shape.proxies).toFixed(0)} resources each)`,
);
const [, packMs] = await time(() => {
  for (const s of snapshots) {
    for (const [url, map] of s?.resources ?? []) {
      for (const r of map.values()) packResource(resourceType(url)!, r);
    }
  }
});
console.log(`packing every proxy's resources: ${packMs.toFixed(0)} ms`);
for (let i = 0; i < Number(values.pushes ?? 2); i++) {
  cp.pipeline.requestPush(`bench ${i}`);
  const [, pushMs, cpuMs] = await time(() => cp.pipeline.flush());
  console.log(
    `full push (nothing changed): ${pushMs.toFixed(0)} ms, CPU ${cpuMs.toFixed(0)} ms ` +
      `(${(cpuMs / shape.proxies).toFixed(2)} ms CPU per proxy)`,
  );
}
for (let i = 0; i < Number(values.pushes ?? 2); i++) {
  // An endpoint edit: wait for the watched directory to reload, then time the push it asks for.
  const before = cp.pushContext();
  const t0 = performance.now();
  writeFileSync(
    endpointSliceFile(dir, i, shape),
    endpointSliceYaml(i, shape, { endpoint: 0, ip: changedIp(i) }),
  );
  while (cp.pushContext() === before) await new Promise((r) => setTimeout(r, 2));
  const reloadMs = performance.now() - t0;
  const [, pushMs, cpuMs] = await time(() => cp.pipeline.flush());
  console.log(
    `endpoint edit: write → new push context ${reloadMs.toFixed(0)} ms, push ${pushMs.toFixed(0)} ms, ` +
      `CPU ${cpuMs.toFixed(0)} ms (${(cpuMs / shape.proxies).toFixed(2)} ms CPU per proxy)`,
  );
}
const mem = process.memoryUsage();
console.log(`heap ${(mem.heapUsed / 1e6).toFixed(0)} MB, rss ${(mem.rss / 1e6).toFixed(0)} MB`);
cp.close();
rmSync(dir, { recursive: true, force: true });
