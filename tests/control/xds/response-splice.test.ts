// Deferred raw fields follow their envelope as the shared bytes themselves, and decode exactly like inline ones.
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { startControlServer } from "../../../adapters/node/control-server.ts";
import { deltaPiecesFor } from "../../../control/xds/encoded-blocks.ts";
import {
  createResponseSplicer,
  RESPONSE_SPLICER,
  SPLICE_MIN_BYTES,
} from "../../../control/xds/response-splice.ts";
import { resourceType } from "../../../control/xds/resource-types.ts";
import { buildSnapshot } from "../../../control/xds/snapshot-cache.ts";
import { TYPE_URLS, type VersionedResource } from "../../../control/xds/snapshot.ts";
import { AggregatedDiscoveryService } from "../../../gen/envoy/service/discovery/v3/ads_pb.ts";
import {
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  DeltaDiscoveryResponseSchema,
} from "../../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import { concatBytes } from "../../../proxy/runtime/bytes.ts";
import { edsCluster, meshResources } from "./fixtures.ts";

const clusters = Array.from(
  { length: 300 },
  (_, i) => edsCluster(`outbound|80||svc-${i}.default.svc.cluster.local`),
);
const all = buildSnapshot({ ...meshResources(), clusters }).resources.get(TYPE_URLS.cluster)!;
const type = resourceType(TYPE_URLS.cluster)!;
const resources = [...all.values()] as VersionedResource[];

function response(
  nonce: string,
  fields = deltaPiecesFor(type, all, resources, 0).fields[0],
): DeltaDiscoveryResponse {
  const r = create(DeltaDiscoveryResponseSchema, {
    typeUrl: type.typeUrl,
    nonce,
    removedResources: ["gone"],
  });
  r.$unknown = fields;
  return r;
}

/** What Connect does to a message: serialize it, then envelope it (flags 0). */
const envelope = (r: DeltaDiscoveryResponse) => encodeEnvelope(0, toBinary(DeltaDiscoveryResponseSchema, r));

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const c of body) chunks.push(c);
  return chunks;
}

async function* of<T>(...chunks: T[]) {
  yield* chunks;
}

/** Splits a byte stream back into envelopes' messages. */
function messages(chunks: Uint8Array[]): DeltaDiscoveryResponse[] {
  const bytes = concatBytes(chunks);
  const out: DeltaDiscoveryResponse[] = [];
  for (let pos = 0; pos < bytes.length;) {
    expect(bytes[pos]).toBe(0);
    const len = new DataView(bytes.buffer, bytes.byteOffset + pos + 1, 4).getUint32(0);
    out.push(fromBinary(DeltaDiscoveryResponseSchema, bytes.subarray(pos + 5, pos + 5 + len)));
    pos += 5 + len;
  }
  return out;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("response splicing", () => {
  it("writes a deferred field after its envelope as the very same bytes, and the stream decodes unchanged", async () => {
    const inline = response("1");
    const deferred = response("1");
    const shared = deferred.$unknown![0].data;
    const splicer = createResponseSplicer();
    splicer.defer(deferred);
    expect(deferred.$unknown).toHaveLength(1); // the marker only
    expect(splicer.pending()).toBe(1);
    const marked = envelope(deferred);
    expect(marked.length).toBeLessThan(200);

    const chunks = await collect(splicer.body(of(marked)));
    // The shared bytes themselves (a view), then a one-byte copy of their end: the chunk Connect keeps last.
    expect(chunks[1].buffer).toBe(shared.buffer);
    expect(chunks[1].length).toBe(shared.length - 1);
    expect(chunks.at(-1)!.buffer).not.toBe(shared.buffer);
    expect(chunks.at(-1)!.length).toBe(1);
    // Byte for byte what Connect would have written for the message with its fields inline.
    expect(concatBytes(chunks)).toEqual(envelope(inline));
    const [decoded] = messages(chunks);
    expect(decoded.resources).toHaveLength(300);
    expect(
      equals(
        DeltaDiscoveryResponseSchema,
        decoded,
        fromBinary(DeltaDiscoveryResponseSchema, toBinary(DeltaDiscoveryResponseSchema, inline)),
      ),
    ).toBe(true);
    expect(splicer.pending()).toBe(0);
  });

  it("keeps several deferred fields in order and passes other envelopes through untouched", async () => {
    const pieces = deltaPiecesFor(type, all, resources.slice(0, 80), undefined).fields[0];
    const two = [...deltaPiecesFor(type, all, resources.slice(80, 160), undefined).fields[0], ...pieces];
    expect(two[0].data.length).toBeLessThan(SPLICE_MIN_BYTES); // only together over the threshold
    const splicer = createResponseSplicer();
    const first = response("1", two);
    splicer.defer(first);
    const plain = envelope(response("2", []));
    const trailer = encodeEnvelope(0x80, new TextEncoder().encode("grpc-status: 0\r\n"));
    const inline = envelope(response("1", two));
    const chunks = await collect(splicer.body(of(plain, envelope(first), trailer)));
    expect(chunks[0]).toBe(plain);
    expect(concatBytes(chunks.slice(1, -1))).toEqual(inline);
    expect(chunks.at(-1)).toBe(trailer);
    const decoded = messages(chunks.slice(0, -1));
    expect(decoded.map((m) => m.nonce)).toEqual(["2", "1"]);
    expect(decoded[1].resources.map((r) => r.name)).toEqual([
      ...resources.slice(80, 160).map((r) => r.name),
      ...resources.slice(0, 80).map((r) => r.name),
    ]);
  });

  it("leaves small fields in the message: one write beats two for a few hundred bytes", async () => {
    const splicer = createResponseSplicer();
    const small = response("1", deltaPiecesFor(type, all, resources.slice(0, 3), undefined).fields[0]);
    const fields = small.$unknown;
    splicer.defer(small);
    expect(small.$unknown).toBe(fields);
    expect(splicer.pending()).toBe(0);
    const whole = envelope(small);
    expect(await collect(splicer.body(of(whole)))).toEqual([whole]);
  });

  it("splices only the oldest deferred message's own envelope, by a marker id it cannot guess", async () => {
    const splicer = createResponseSplicer();
    const big = response("1");
    splicer.defer(big);
    const id = new DataView(big.$unknown![0].data.buffer).getUint32(0, true);
    // A message that was not deferred but ends in a marker (for another id, or the next one) goes out as it is.
    for (const other of [id + 1, id - 1]) {
      const forged = response("0", []);
      const data = new Uint8Array(4);
      new DataView(data.buffer).setUint32(0, other >>> 0, true);
      forged.$unknown = [{ no: 536_870_911, wireType: 5, data }];
      const bytes = envelope(forged);
      expect(await collect(splicer.body(of(bytes)))).toEqual([bytes]);
    }
    // Nor does a later deferred message's envelope ahead of the oldest's (Connect keeps their order).
    const later = response("2");
    splicer.defer(later);
    const laterBytes = envelope(later);
    expect(await collect(splicer.body(of(laterBytes)))).toEqual([laterBytes]);
    expect(splicer.pending()).toBe(2);
    expect(messages(await collect(splicer.body(of(envelope(big)))))[0].resources).toHaveLength(300);
    // Ids start at random: another stream's splicer expects other markers.
    const again = response("1");
    createResponseSplicer().defer(again);
    expect(again.$unknown![0].data).not.toEqual(big.$unknown![0].data);
  });

  it("hands throw() and return() to Connect's body as they are", async () => {
    const calls: string[] = [];
    const inner: AsyncIterator<Uint8Array> & AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => inner,
      next: () => Promise.resolve({ done: false, value: new Uint8Array(5) }),
      return: (v) => (calls.push("return"), Promise.resolve({ done: true, value: v })),
      throw: (e) => (calls.push(`throw ${(e as Error).message}`), Promise.reject(e)),
    };
    const body = createResponseSplicer().body(inner)[Symbol.asyncIterator]();
    await body.next();
    await expect(body.throw!(new Error("write failed"))).rejects.toThrow("write failed");
    await body.return!();
    expect(calls).toEqual(["throw write failed", "return"]);
  });

  it("fails the stream rather than send a compressed envelope without its deferred resources", async () => {
    const splicer = createResponseSplicer();
    const r = response("1");
    splicer.defer(r);
    const compressed = envelope(r);
    compressed[0] = 1;
    const err = await collect(splicer.body(of(compressed))).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Internal);
  });

  it("is wired into the control server: a handler's deferred fields reach a gRPC client over h2c", async () => {
    const seen: boolean[] = [];
    const server = await startControlServer({
      host: "127.0.0.1",
      port: 0,
      routes: (router) =>
        router.service(AggregatedDiscoveryService, {
          async *deltaAggregatedResources(_requests, context) {
            const splicer = context.values.get(RESPONSE_SPLICER);
            seen.push(splicer !== undefined);
            for (const nonce of ["1", "2"]) {
              const r = response(nonce);
              splicer?.defer(r);
              yield r;
            }
          },
        }),
    });
    cleanups.push(() => server.close());
    const client = createClient(
      AggregatedDiscoveryService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` }),
    );
    const got: DeltaDiscoveryResponse[] = [];
    for await (const r of client.deltaAggregatedResources(of<DeltaDiscoveryRequest>())) got.push(r);
    expect(seen).toEqual([true]);
    expect(got.map((r) => [r.nonce, r.resources.length, r.removedResources])).toEqual([
      ["1", 300, ["gone"]],
      ["2", 300, ["gone"]],
    ]);
    expect(got[0].resources[299].name).toBe(resources[299].name);
  });
});
