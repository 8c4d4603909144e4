// A stream holds one send slot for a whole batch of responses, renewed at each piece: waiting for a slot between the
// pieces of a push would keep the piece just written (Connect holds it until the next) alive while the stream waits.
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

/** Streams "a" and "b" with batches of `aPieces` and `bPieces` sharing one slot held up to 250 ms. */
function twoStreams(aPieces: number, bPieces: number) {
  const clock = createFakeClock(0);
  const limiter = createSendLimiter(1, 250, clock);
  return { clock, limiter, a: startStream("a", aPieces, limiter), b: startStream("b", bPieces, limiter) };
}

/** Both batches done and their streams waiting for more: no slot held; stopping them ends those waits. */
async function stopBoth(
  { limiter, a, b }: ReturnType<typeof twoStreams>,
  waits: Promise<IteratorResult<Response>>[],
) {
  await nextTask();
  expect(limiter.stats()).toEqual({ active: 0, waiting: 0 });
  a.stop();
  b.stop();
  for (const wait of waits) expect((await wait).done).toBe(true);
}

describe("runXdsStream with a send limiter", () => {
  it("sends a batch under one slot: another stream's batch waits for all of it, not for each piece", async () => {
    const streams = twoStreams(3, 3);
    const { limiter, a, b } = streams;
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
    await stopBoth(streams, [afterA, afterB]);
  });

  it("renews the slot at each piece, and waits for another only after it was taken back", async () => {
    const streams = twoStreams(3, 1);
    const { clock, limiter, a, b } = streams;
    const sent: string[] = [];
    const take = async (stream: AsyncGenerator<Response>) => {
      const { value } = await stream.next();
      sent.push(`${value!.proxy}${value!.piece}`);
    };
    await take(a.stream); // a holds the slot
    const bFirst = take(b.stream); // b waits for it
    await clock.advance(200);
    await take(a.stream); // within the hold time: renewed, b still waits
    await clock.advance(200);
    expect(sent).toEqual(["a0", "a1"]);
    expect(limiter.stats()).toEqual({ active: 1, waiting: 1 });
    // a's proxy now reads nothing for the hold time: the slot goes to b, and a waits for it before its last piece.
    await clock.advance(250);
    await bFirst;
    const aLast = take(a.stream);
    await nextTask();
    expect(sent).toEqual(["a0", "a1", "b0"]);
    expect(limiter.stats()).toEqual({ active: 1, waiting: 1 });
    const bAfter = b.stream.next(); // b's batch is done: its slot goes to a
    await aLast;
    expect(sent).toEqual(["a0", "a1", "b0", "a2"]);
    await stopBoth(streams, [a.stream.next(), bAfter]);
  });
});
