import { describe, expect, it } from "vitest";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { RouteAction_HashPolicySchema } from "../../../gen/envoy/config/route/v3/route_components_pb.ts";
import { combineHash, hash32 } from "../../../proxy/cluster/lb/hash.ts";
import {
  compileHashPolicy,
  cookieValue,
  type HashInput,
  hashRequest,
} from "../../../proxy/route/hash-policy.ts";

const compile = (...json: JsonValue[]) =>
  compileHashPolicy(json.map((j) => fromJson(RouteAction_HashPolicySchema, j)), "hash_policy")!;
const input = (over: Partial<HashInput> = {}): HashInput => ({
  authority: "a.com",
  path: "/",
  method: "GET",
  headers: {},
  ...over,
});

describe("hash policies", () => {
  it("header: same value → same hash, different value → different hash, absent → undefined", () => {
    const p = compile({ header: { header_name: "X-User" } });
    const a1 = hashRequest(p, input({ headers: { "x-user": "alice" } }));
    const a2 = hashRequest(p, input({ headers: { "x-user": "alice" }, path: "/other" }));
    const b = hashRequest(p, input({ headers: { "x-user": "bob" } }));
    expect(a1).toBe(hash32("alice"));
    expect(a2).toBe(a1);
    expect(b).not.toBe(a1);
    expect(hashRequest(p, input())).toBeUndefined();
  });

  it("header: repeated values hash independently of their order; :authority reads the request head", () => {
    const p = compile({ header: { header_name: "x-v" } });
    expect(hashRequest(p, input({ headers: { "x-v": ["b", "a"] } }))).toBe(
      hashRequest(p, input({ headers: { "x-v": ["a", "b"] } })),
    );
    const auth = compile({ header: { header_name: ":authority" } });
    expect(hashRequest(auth, input({ authority: "x.com" }))).toBe(hash32("x.com"));
  });

  it("header regex_rewrite normalises the value before hashing", () => {
    const p = compile({
      header: { header_name: "x-v", regex_rewrite: { pattern: { regex: "-[0-9]+$" }, substitution: "" } },
    });
    expect(hashRequest(p, input({ headers: { "x-v": "user-1" } }))).toBe(
      hashRequest(p, input({ headers: { "x-v": "user-2" } })),
    );
    expect(hashRequest(p, input({ headers: { "x-v": "user-1" } }))).toBe(hash32("user"));
  });

  it("cookie: hashes the named cookie when present, nothing otherwise", () => {
    const p = compile({ cookie: { name: "session", ttl: "10s" } });
    expect(hashRequest(p, input({ headers: { cookie: "a=1; session=abc; b=2" } }))).toBe(hash32("abc"));
    expect(hashRequest(p, input({ headers: { cookie: ["a=1", 'session="abc"'] } }))).toBe(hash32("abc"));
    expect(hashRequest(p, input({ headers: { cookie: "sessionx=abc" } }))).toBeUndefined();
    expect(cookieValue(undefined, "x")).toBeUndefined();
  });

  it("connection_properties.source_ip and query_parameter", () => {
    const ip = compile({ connection_properties: { source_ip: true } });
    expect(hashRequest(ip, input({ sourceIp: "10.0.0.1" }))).toBe(hash32("10.0.0.1"));
    expect(hashRequest(ip, input())).toBeUndefined();
    const q = compile({ query_parameter: { name: "user" } });
    expect(hashRequest(q, input({ path: "/x?a=1&user=carol" }))).toBe(hash32("carol"));
    expect(hashRequest(q, input({ path: "/x?a=1" }))).toBeUndefined();
  });

  it("combines every policy that yields a value, in order", () => {
    const p = compile({ header: { header_name: "a" } }, { header: { header_name: "b" } }, {
      header: { header_name: "c" },
    });
    const h = hashRequest(p, input({ headers: { a: "1", c: "3" } }));
    expect(h).toBe(combineHash(hash32("1"), hash32("3")));
  });

  it("stops at a terminal policy that yields a value", () => {
    const p = compile({ header: { header_name: "a" }, terminal: true }, { header: { header_name: "b" } });
    expect(hashRequest(p, input({ headers: { a: "1", b: "2" } }))).toBe(hash32("1"));
    expect(hashRequest(p, input({ headers: { b: "2" } }))).toBe(hash32("2"));
  });

  it("rejects filter_state and empty names with the field path", () => {
    expect(() => compile({ header: { header_name: "a" } }, { filter_state: { key: "k" } })).toThrowError(
      /hash_policy\[1\]\.filter_state/,
    );
    expect(() => compile({ query_parameter: { name: "" } })).toThrowError(
      /hash_policy\[0\]\.query_parameter\.name/,
    );
  });
});
