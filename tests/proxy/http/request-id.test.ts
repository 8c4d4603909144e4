// x-request-id generation: RFC 9562 version-4 UUIDs, unique, across refills of the random byte pool.
import { describe, expect, it } from "vitest";
import { randomRequestId } from "../../../proxy/http/request-id.ts";

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("randomRequestId", () => {
  it("makes version-4 UUIDs in canonical form, all different over several pool refills", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = randomRequestId();
      expect(id).toMatch(V4);
      seen.add(id);
    }
    expect(seen.size).toBe(2000);
  });

  it("uses every hex digit in every free position (the bytes are random, not a counter)", () => {
    const digitsAt = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 3000; i++) [...randomRequestId()].forEach((c, j) => digitsAt[j].add(c));
    for (const [j, digits] of digitsAt.entries()) {
      if ([8, 13, 18, 23].includes(j)) expect([...digits]).toEqual(["-"]);
      else if (j === 14) expect([...digits]).toEqual(["4"]);
      else if (j === 19) expect([...digits].sort()).toEqual(["8", "9", "a", "b"]);
      else expect(digits.size).toBe(16);
    }
  });
});
