// An idle ADS stream keeps nothing of what it last sent: 500 streams each holding their last batch (and its
// encoded resources) until their next event cost 20 MB of heap and 40–80 MB of buffers after a first push.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { NodeSchema } from "../../../gen/envoy/config/core/v3/base_pb.ts";
import { createMetrics } from "../../../control/xds/metrics.ts";
import { createPushStatus } from "../../../control/xds/push-status.ts";
import { createSnapshotCache } from "../../../control/xds/snapshot-cache.ts";
import type { Snapshot } from "../../../control/xds/snapshot.ts";
import { counter, runXdsStream, type StreamProtocol } from "../../../control/xds/xds-stream.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Resolves after the current job, so WeakRefs made in it can be cleared. */
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("runXdsStream", () => {
  it("lets a sent response batch be collected while the stream waits for its next event", async () => {
    const cache = createSnapshotCache();
    const snapshot: Snapshot = { version: "1", resources: new Map() };
    const sent: WeakRef<object>[] = [];
    const protocol: StreamProtocol<{ node?: ReturnType<typeof create<typeof NodeSchema>> }, object> = {
      onRequest: () => {
        // A batch of two large responses, like the pieces of a first push.
        const batch = [{ bytes: new Uint8Array(1 << 20) }, { bytes: new Uint8Array(1 << 20) }];
        for (const r of batch) sent.push(new WeakRef(r));
        return batch;
      },
      onSnapshot: () => [],
    };
    const abort = new AbortController();
    let wake: (() => void) | undefined;
    async function* requests() {
      yield { node: create(NodeSchema, { id: "sidecar~10.0.0.1~a.default~default.svc.cluster.local" }) };
      await new Promise<void>((resolve) => wake = resolve); // the proxy goes quiet
    }
    const stream = runXdsStream(
      requests(),
      abort.signal,
      {
        cache,
        provider: { snapshotFor: () => snapshot },
        status: createPushStatus({ metrics: createMetrics(), now: () => 0 }),
        now: () => 0,
      },
      "sotw",
      counter(),
      protocol,
    );
    // Take both responses as Connect would (writing each out), then ask for the next one: the stream now waits.
    expect((await stream.next()).done).toBe(false);
    expect((await stream.next()).done).toBe(false);
    const waiting = stream.next();
    await nextTask();
    gc();
    await nextTask();
    gc();
    expect(sent).toHaveLength(2);
    expect(sent.map((r) => r.deref())).toEqual([undefined, undefined]);
    abort.abort();
    wake?.();
    expect((await waiting).done).toBe(true);
  });
});
