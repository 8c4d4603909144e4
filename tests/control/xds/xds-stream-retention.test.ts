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

type Request = { node?: ReturnType<typeof create<typeof NodeSchema>> };

/** A SotW stream over `requests` with `protocol`, on a cache, status and provider of its own. */
function startStream(requests: AsyncIterable<Request>, protocol: StreamProtocol<Request, object>) {
  const snapshot: Snapshot = { version: "1", resources: new Map() };
  const abort = new AbortController();
  const stream = runXdsStream(
    requests,
    abort.signal,
    {
      cache: createSnapshotCache(),
      provider: { snapshotFor: () => snapshot },
      status: createPushStatus({ metrics: createMetrics(), now: () => 0 }),
      now: () => 0,
    },
    "sotw",
    counter(),
    protocol,
  );
  return { stream, abort };
}

describe("runXdsStream", () => {
  it("lets a sent response batch be collected while the stream waits for its next event", async () => {
    const sent: WeakRef<object>[] = [];
    const protocol: StreamProtocol<Request, object> = {
      onRequest: () => {
        // A batch of two large responses, like the pieces of a first push.
        const batch = [{ bytes: new Uint8Array(1 << 20) }, { bytes: new Uint8Array(1 << 20) }];
        for (const r of batch) sent.push(new WeakRef(r));
        return batch;
      },
      onSnapshot: () => [],
    };
    let wake: (() => void) | undefined;
    async function* requests() {
      yield { node: create(NodeSchema, { id: "sidecar~10.0.0.1~a.default~default.svc.cluster.local" }) };
      await new Promise<void>((resolve) => wake = resolve); // the proxy goes quiet
    }
    const { stream, abort } = startStream(requests(), protocol);
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

  it("lets a handled request be collected while the stream waits for the next one", async () => {
    // An iterator that keeps nothing once a request is handed over (a generator's frame would).
    const pending: ((r: IteratorResult<Request>) => void)[] = [];
    const requests = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<Request>>((resolve) => pending.push(resolve)),
      }),
    };
    const { stream, abort } = startStream(requests, { onRequest: () => [], onSnapshot: () => [] });
    const waiting = stream.next();
    await nextTask();
    // A large request (a SotW ACK repeats every resource name), handled, then the proxy goes quiet. Made in a
    // function of its own, so that only the stream could keep it.
    const ref = ((): WeakRef<object> => {
      const names = Array.from({ length: 1000 }, (_, i) => `outbound|80||svc-${i}.default.svc.cluster.local`);
      const request = {
        node: create(NodeSchema, { id: "sidecar~10.0.0.1~a.default~default.svc.cluster.local" }),
        names,
      };
      pending.shift()!({ value: request, done: false });
      return new WeakRef(names);
    })();
    await nextTask();
    await nextTask();
    expect(pending).toHaveLength(1); // the stream asked for the next request
    gc();
    await nextTask();
    gc();
    expect(ref.deref()).toBeUndefined();
    abort.abort();
    pending.shift()!({ value: undefined, done: true });
    expect((await waiting).done).toBe(true);
  });
});
