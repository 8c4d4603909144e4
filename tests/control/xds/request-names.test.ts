// Request name sharing: long resource-name lists cut out of ADS request envelopes and put back, decoded once.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import {
  createNameLists,
  createRequestNames,
  cutNames,
  LISTS_BUDGET_BYTES,
  REQUEST_NAMES,
  type RequestNames,
  SHARE_MAX_BYTES,
  SHARE_MIN_BYTES,
  withRequestNameSharing,
} from "../../../control/xds/request-names.ts";
import {
  DeltaDiscoveryRequestSchema,
  DiscoveryRequestSchema,
} from "../../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import { canonicalNames } from "../../../control/xds/xds-stream.ts";
import { concatBytes } from "../../../proxy/runtime/bytes.ts";
import { AggregatedDiscoveryService } from "../../../gen/envoy/service/discovery/v3/ads_pb.ts";
import { NODE } from "./ads-harness.ts";

const EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
const names = (n: number, tag = "") =>
  Array.from({ length: n }, (_, i) => `outbound|9080|${tag}|svc-${i}.default.svc.cluster.local`);
/** 100 names: ~5 KB, over SHARE_MIN_BYTES. */
const LONG = names(100);

function envelope(message: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

const concat = (parts: readonly Uint8Array[]) => concatBytes([new Uint8Array(0), ...parts]);

/** `bytes` in chunks of `size` (the last one shorter), as HTTP/2 DATA frames deliver a body. */
async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c.slice());
  return concat(parts);
}

function envelopesOf(bytes: Uint8Array): { flags: number; message: Uint8Array }[] {
  const out = [];
  for (let at = 0; at < bytes.length;) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at, 5).getUint32(1);
    out.push({ flags: bytes[at], message: bytes.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

const sotw = (resourceNames: string[], extra: { responseNonce?: string; versionInfo?: string } = {}) =>
  toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: EDS, resourceNames, ...extra }));

/** Runs `body` through cutNames and parses each envelope back, as the SotW handler sees it. */
async function roundTrip(body: Uint8Array, chunk: number, requestNames: RequestNames) {
  const out = await collect(cutNames(chunked(body, chunk), requestNames));
  return envelopesOf(out).map(({ message }) => {
    const request = fromBinary(DiscoveryRequestSchema, message);
    const shared = requestNames.restore(request);
    if (shared !== undefined) request.resourceNames = shared as string[];
    return { request, shared, size: message.length };
  });
}

describe("request names", () => {
  it("cuts a long list out of each request and puts the same list back, whatever the chunking", async () => {
    const body = concat([
      envelope(sotw(LONG, { versionInfo: "v1", responseNonce: "3" })),
      envelope(sotw(["a"])),
      envelope(sotw(LONG, { versionInfo: "v2", responseNonce: "4" })),
    ]);
    for (const chunk of [1, 7, 4096, body.length]) {
      const requestNames = createRequestNames(createNameLists());
      const [a, b, c] = await roundTrip(body, chunk, requestNames);
      expect(a.request.resourceNames).toEqual(LONG);
      expect([a.request.versionInfo, a.request.responseNonce, a.request.typeUrl]).toEqual(["v1", "3", EDS]);
      expect(a.request.$unknown).toBeUndefined(); // the marker is gone
      expect(a.size).toBeLessThan(100); // Connect parsed a message without the names
      expect(b.shared).toBeUndefined();
      expect(b.request.resourceNames).toEqual(["a"]);
      expect(c.request.resourceNames).toEqual(LONG);
      expect(c.request.versionInfo).toBe("v2");
      // One decoded, frozen list for both requests.
      expect(c.shared).toBe(a.shared);
      expect(Object.isFrozen(a.shared)).toBe(true);
      expect(requestNames.pending()).toBe(0);
    }
  });

  it("shares one list between streams of a server, and tells different lists apart", async () => {
    const lists = createNameLists();
    const [first] = await roundTrip(envelope(sotw(LONG)), 1000, createRequestNames(lists));
    const [second] = await roundTrip(envelope(sotw(LONG)), 1000, createRequestNames(lists));
    const other = names(100, "v1");
    const [third] = await roundTrip(envelope(sotw(other)), 1000, createRequestNames(lists));
    expect(second.shared).toBe(first.shared);
    expect(third.request.resourceNames).toEqual(other);
    expect(third.shared).not.toBe(first.shared);
    expect(lists.size).toBe(2);
  });

  it("restores delta subscriptions (field 3 there too), node and all", async () => {
    const request = create(DeltaDiscoveryRequestSchema, {
      node: NODE,
      typeUrl: EDS,
      resourceNamesSubscribe: LONG,
      resourceNamesUnsubscribe: ["gone"],
      initialResourceVersions: { a: "1" },
    });
    const requestNames = createRequestNames(createNameLists());
    const out = await collect(
      cutNames(chunked(envelope(toBinary(DeltaDiscoveryRequestSchema, request)), 999), requestNames),
    );
    const [{ message }] = envelopesOf(out);
    const parsed = fromBinary(DeltaDiscoveryRequestSchema, message);
    expect(parsed.resourceNamesSubscribe).toEqual([]);
    const shared = requestNames.restore(parsed);
    expect(shared).toEqual(LONG);
    parsed.resourceNamesSubscribe = shared as string[];
    expect(parsed).toEqual(request);
  });

  it("passes through byte for byte what it does not rewrite", async () => {
    const short = sotw(names(10));
    expect(short.length).toBeLessThan(SHARE_MIN_BYTES);
    // The names in two runs, with another field between them.
    const split = concat([
      sotw(LONG.slice(0, 50)),
      sotw(LONG.slice(50)).subarray(0, 0),
      sotw([]),
      sotw(LONG.slice(50)),
    ]);
    // A client's own field 536870911 (the marker's number).
    const marked = concat([
      sotw(LONG),
      new BinaryWriter().tag(536_870_911, WireType.Bit32).fixed32(7).finish(),
    ]);
    // A name that is not valid UTF-8, in the one run of names.
    const namesOnly = toBinary(
      DiscoveryRequestSchema,
      create(DiscoveryRequestSchema, { resourceNames: LONG }),
    );
    const typeOnly = toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: EDS }));
    const invalid = concat([namesOnly, Uint8Array.of(0x1a, 2, 0xc3, 0x28), typeOnly]);
    // Field 3 once more, its tag written in two bytes (0x9a 0x00): it must not be lost to the shared list.
    const longTag = concat([sotw(LONG), Uint8Array.of(0x9a, 0x00, 1, 0x7a)]);
    const body = concat([
      envelope(short),
      envelope(sotw(LONG), 1), // compressed
      envelope(split),
      envelope(marked),
      envelope(invalid),
      envelope(longTag),
    ]);
    const requestNames = createRequestNames(createNameLists());
    for (const chunk of [3, 5000, body.length]) {
      expect(await collect(cutNames(chunked(body, chunk), requestNames))).toEqual(body);
    }
    expect(requestNames.pending()).toBe(0);
    const parsedMarked = fromBinary(DiscoveryRequestSchema, marked);
    expect(requestNames.restore(parsedMarked)).toBeUndefined();
    expect(parsedMarked.resourceNames).toEqual(LONG);
  });

  it("passes a large envelope through as it arrives, and a truncated one as it is", async () => {
    const big = sotw(names(90_000)); // over 4 MiB: never buffered whole
    expect(big.length).toBeGreaterThan(4 * 1024 * 1024);
    const body = concat([envelope(big), envelope(sotw(LONG)).subarray(0, 300)]);
    const requestNames = createRequestNames(createNameLists());
    const seen: number[] = [];
    const out: Uint8Array[] = [];
    for await (const c of cutNames(chunked(body, 65_536), requestNames)) {
      seen.push(c.length);
      out.push(c.slice());
    }
    // (Buffer.equals: a deep comparison of 4 MB takes vitest seconds)
    expect(Buffer.from(concat(out)).equals(body)).toBe(true);
    expect(Math.max(...seen)).toBeLessThanOrEqual(65_536);
  });

  it("canonicalNames copies a shared list once, with the resources' own name strings", () => {
    const own = `${LONG[3]}`.split("").join(""); // equal text, another string
    const current = new Map([[LONG[3], { name: own }]]);
    const shared = Object.freeze([...LONG]) as string[];
    const a = canonicalNames(shared, current);
    expect(a).not.toBe(shared);
    expect(a).toEqual(LONG);
    expect(canonicalNames(shared, new Map())).toBe(a); // once per list
    expect(Object.isFrozen(a)).toBe(true);
    const decoded = [...LONG];
    expect(canonicalNames(decoded, current)).toBe(decoded); // a stream's own list: in place
  });

  it("keeps lists within a byte budget, least recently used out first", () => {
    const lists = createNameLists();
    const run = (i: number) =>
      // ~300 KB: names only, so the whole message is the run
      toBinary(
        DiscoveryRequestSchema,
        create(DiscoveryRequestSchema, { resourceNames: names(6000, `t${i}`) }),
      );
    const first = lists.lookup(run(0))!;
    expect(lists.lookup(run(0))).toBe(first);
    for (let i = 1; i < 60; i++) {
      lists.lookup(run(i));
      lists.lookup(run(0)); // kept in use: never the least recently used
    }
    expect(run(0).length * lists.size).toBeLessThanOrEqual(LISTS_BUDGET_BYTES * 1.05);
    expect(lists.size).toBeGreaterThan(10);
    expect(lists.lookup(run(0))).toBe(first);
    const second = lists.lookup(run(1))!; // long gone: decoded again
    expect(second).toEqual(names(6000, "t1"));
    expect(lists.lookup(run(1))).toBe(second);
    expect(lists.lookup(new Uint8Array(SHARE_MAX_BYTES + 1))).toBeUndefined();
  });

  it("wraps the ADS handlers: the handler gets its requests without the names, and their RequestNames", async () => {
    let seen: {
      request: ReturnType<typeof fromBinary<typeof DiscoveryRequestSchema>>;
      names?: readonly string[];
    };
    const inner = Object.assign(
      async (
        request: { body: AsyncIterable<Uint8Array>; contextValues?: { get(key: unknown): unknown } },
      ) => {
        const [{ message }] = envelopesOf(await collect(request.body));
        const parsed = fromBinary(DiscoveryRequestSchema, message);
        const requestNames = request.contextValues?.get(REQUEST_NAMES) as RequestNames | undefined;
        seen = { request: parsed, names: requestNames?.restore(parsed) };
        return { status: 200 };
      },
      { service: AggregatedDiscoveryService },
    );
    const wrapped = withRequestNameSharing(inner as never) as unknown as (r: unknown) => Promise<unknown>;
    await wrapped({
      header: new Headers({ "content-type": "application/grpc" }),
      body: chunked(envelope(sotw(LONG)), 1000),
      contextValues: undefined,
    });
    expect(seen!.request.resourceNames).toEqual([]); // cut: Connect parses no names
    expect(seen!.names).toEqual(LONG);
    expect(seen!.request.typeUrl).toBe(EDS);
    // A JSON request is left as it is (here its body is binary all the same, to see that it was not cut).
    await wrapped({
      header: new Headers({ "content-type": "application/grpc+json" }),
      body: chunked(envelope(sotw(LONG)), 1000),
      contextValues: undefined,
    });
    expect(seen!.names).toBeUndefined();
    expect(seen!.request.resourceNames).toEqual(LONG);
  });

  it("leaves other services' handlers as they are", () => {
    const handler = Object.assign(async () => ({ status: 200 }), {
      service: { typeName: "weft.registration.v1.RegistrationService" },
    });
    expect(withRequestNameSharing(handler as never)).toBe(handler);
  });
});
