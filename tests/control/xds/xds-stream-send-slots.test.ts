// A stream holds one send slot for a whole batch of responses: waiting for a slot between the pieces of a push
// would keep the piece just written (Connect holds it until the next) alive while the stream waits.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { NodeSchema } from "../../../gen/envoy/config/core/v3/base_pb.ts";
import { createMetrics } from "../../../control/xds/metrics.ts";
import { createPushStatus } from "../../../control/xds/push-status.ts";
import { createSendLimiter, type SendLimiter } from "../../../control/xds/send-limiter.ts";
import { createSnapshotCache } from "../../../control/xds/snapshot-cache.ts";
import type { Snapshot } from "../../../control/xds/snapshot.ts";
import { counter, runXdsStream, type StreamProtocol } from "../../../control/xds/xds-stream.ts";
import { createFakeClock } from "./fake-clock.ts";

type Request = { node?: ReturnType<typeof create<typeof NodeSchema>> };
type Response = { readonly proxy: string; readonly piece: number };

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A stream whose first request is answered with `pieces` responses, sharing `sendLimiter` with others. */
function startStream(proxy: string, pieces: number, sendLimiter: SendLimiter) {
  const snapshot: Snapshot = { version: "1", resources: new Map() };
  const protocol: StreamProtocol<Request, Response> = {
    onRequest: () => Array.from({ length: pieces }, (_, piece) => ({ proxy, piece })),
    onSnapshot: () => [],
  };
  let quiet: (() => void) | undefined;
  async function* requests() {
    yield { node: create(NodeSchema, { id: `sidecar~10.0.0.1~${proxy}.default~default.svc.cluster.local` }) };
    await new Promise<void>((resolve) => quiet = resolve);
  }
  const abort = new AbortController();
  const stream = runXdsStream(
    requests(),
    abort.signal,
    {
      cache: createSnapshotCache(),
      provider: { snapshotFor: () => snapshot },
      status: createPushStatus({ metrics: createMetrics(), now: () => 0 }),
      now: () => 0,
      sendLimiter,
    },
    "sotw",
    counter(),
    protocol,
  );
  return {
    stream,
    stop() {
      abort.abort();
      quiet?.();
    },
  };
}

describe("runXdsStream with a send limiter", () => {
  it("sends a batch under one slot: another stream's batch waits for all of it, not for each piece", async () => {
    const clock = createFakeClock(0);
    const limiter = createSendLimiter(1, 250, clock);
    const a = startStream("a", 3, limiter);
    const b = startStream("b", 3, limiter);
    const sent: string[] = [];
    // Like Connect: take a response, write it out (a task later), then ask for the next — also after the last of
    // the batch (that request stays pending: the stream waits for its next event, its slot given back).
    const drain = async (stream: AsyncGenerator<Response>, count: number) => {
      for (let i = 0; i < count; i++) {
        const { value } = await stream.next();
        sent.push(`${value!.proxy}${value!.piece}`);
        expect(limiter.stats().active).toBe(1);
        await nextTask();
      }
      return { pending: stream.next() }; // not awaited here: it resolves only when the stream ends
    };
    const [{ pending: afterA }, { pending: afterB }] = await Promise.all([
      drain(a.stream, 3),
      drain(b.stream, 3),
    ]);
    expect(sent).toEqual(["a0", "a1", "a2", "b0", "b1", "b2"]);
    await nextTask();
    expect(limiter.stats()).toEqual({ active: 0, waiting: 0 });
    a.stop();
    b.stop();
    expect((await afterA).done).toBe(true);
    expect((await afterB).done).toBe(true);
  });
});
