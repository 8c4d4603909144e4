// protobuf-es on Buffer-based UTF-8 (useNodeTextEncoding): same bytes and strings as TextEncoder/TextDecoder.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useNodeTextEncoding } from "../../../adapters/node/protobuf-text-encoding.ts";
import { DeltaDiscoveryRequestSchema } from "../../../gen/envoy/service/discovery/v3/discovery_pb.ts";

const names = ["outbound|9080|v1|reviews.default.svc.cluster.local", "grüße/天气", "emoji 🚀", ""];

describe("useNodeTextEncoding", () => {
  let original: ReturnType<typeof getTextEncoding>;
  let reference: Uint8Array;
  beforeAll(() => {
    original = getTextEncoding();
    reference = toBinary(
      DeltaDiscoveryRequestSchema,
      create(DeltaDiscoveryRequestSchema, { resourceNamesSubscribe: names }),
    );
    useNodeTextEncoding();
  });
  afterAll(() => configureTextEncoding(original));

  it("encodes exactly as TextEncoder does and decodes back", () => {
    const request = create(DeltaDiscoveryRequestSchema, { resourceNamesSubscribe: names });
    const bytes = toBinary(DeltaDiscoveryRequestSchema, request);
    expect(bytes).toEqual(reference);
    expect(fromBinary(DeltaDiscoveryRequestSchema, bytes).resourceNamesSubscribe).toEqual(names);
  });

  it("rejects invalid UTF-8 in a string field, as protobuf-es does with TextDecoder", () => {
    // field 3 (resource_names_subscribe), length 2, bytes 0xC3 0x28 (a broken two-byte sequence)
    const broken = new Uint8Array([0x1a, 0x02, 0xc3, 0x28]);
    expect(() => fromBinary(DeltaDiscoveryRequestSchema, broken)).toThrow(/utf-8/i);
  });

  it("is as strict as TextDecoder's fatal mode: overlong forms, surrogates and cut sequences are errors", () => {
    const fatal = new TextDecoder("utf-8", { fatal: true });
    const cases = [
      [0xc0, 0xaf], // overlong "/"
      [0xed, 0xa0, 0x80], // a UTF-16 surrogate encoded as UTF-8
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe2, 0x82], // cut short
      [0x80], // a lone continuation byte
      [0xef, 0xbf, 0xbd], // U+FFFD itself: valid
      [0x61, 0xef, 0xbf, 0xbd, 0x62], // inside a string: valid
    ];
    for (const c of cases) {
      const bytes = new Uint8Array(c);
      let expected: string | undefined;
      try {
        expected = fatal.decode(bytes);
      } catch {
        expected = undefined;
      }
      const decode = () => getTextEncoding().decodeUtf8(bytes, true);
      if (expected === undefined) expect(decode, `bytes ${c}`).toThrow(/utf-8/i);
      else expect(decode()).toBe(expected);
    }
  });

  it("decodes leniently when not asked to be strict (U+FFFD, like TextDecoder)", () => {
    const lenient = getTextEncoding().decodeUtf8(new Uint8Array([0x61, 0xc3, 0x28]));
    expect(lenient).toBe(new TextDecoder().decode(new Uint8Array([0x61, 0xc3, 0x28])));
  });
});
