// Integration: LB policies end to end over three real upstreams — where does each request land?
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, request } from "undici";
import {
  httpBootstrap,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from "../support/harness.ts";

const SLOW_MS = 300;
let fast: Upstream[];
let mixed: Upstream[];
let proxy: TestProxy;
const agent = new Agent({ connections: 128, pipelining: 0 });

beforeAll(async () => {
  fast = await Promise.all(["u0", "u1", "u2"].map((n) => startUpstream(n)));
  // One slow upstream (holds each request SLOW_MS), two fast ones.
  const slow = await startUpstream("slow", (_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { "x-upstream": "slow" });
      res.end("slow");
    }, SLOW_MS);
  });
  mixed = [slow, await startUpstream("fast1"), await startUpstream("fast2")];
  const ports = fast.map((u) => u.port);
  const mixedPorts = mixed.map((u) => u.port);
  const hashed = `{ cluster: CLUSTER, hash_policy: [{ header: { header_name: x-user } }] }`;
  proxy = await startProxy(httpBootstrap({
    routes: `
name: local
virtual_hosts:
  - name: all
    domains: ["*"]
    routes:
      - { match: { prefix: "/rr" }, route: { cluster: rr } }
      - { match: { prefix: "/ring" }, route: ${hashed.replace("CLUSTER", "ring")} }
      - { match: { prefix: "/maglev" }, route: ${hashed.replace("CLUSTER", "maglev")} }
      - { match: { prefix: "/random" }, route: { cluster: random } }
      - { match: { prefix: "/least" }, route: { cluster: least } }
      - { match: { prefix: "/mixed-rr" }, route: { cluster: mixed_rr } }`,
    clusters: [
      staticCluster("rr", ports, "lb_policy: ROUND_ROBIN"),
      staticCluster("ring", ports, "lb_policy: RING_HASH"),
      staticCluster("maglev", ports, "lb_policy: MAGLEV"),
      staticCluster("random", ports, "lb_policy: RANDOM"),
      staticCluster("least", mixedPorts, "lb_policy: LEAST_REQUEST"),
      staticCluster("mixed_rr", mixedPorts, "lb_policy: ROUND_ROBIN"),
    ].join(""),
  }));
});

afterAll(async () => {
  await agent.close();
  await proxy?.close();
  await Promise.all([...(fast ?? []), ...(mixed ?? [])].map((u) => u.close()));
});

/** One request through the proxy; returns the name of the upstream that answered. */
async function hit(path: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await request(`http://127.0.0.1:${proxy.port()}${path}`, { headers, dispatcher: agent });
  const body = await res.body.text();
  expect(res.statusCode).toBe(200);
  return body;
}

async function sequential(
  n: number,
  path: string,
  headers?: (i: number) => Record<string, string>,
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await hit(path, headers?.(i)));
  return out;
}

/**
 * `n` requests in flight together: started 4 ms apart, so that all of them overlap the slow upstream's
 * 300 ms hold while the fast upstreams keep answering — the uneven load the balancer should see.
 */
function concurrent(n: number, path: string): Promise<string[]> {
  return Promise.all(
    Array.from(
      { length: n },
      (_, i) => new Promise((resolve) => setTimeout(resolve, i * 4)).then(() => hit(path)),
    ),
  );
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

describe("load balancing through the proxy (3 upstreams)", () => {
  it("ROUND_ROBIN rotates exactly", async () => {
    const order = await sequential(12, "/rr");
    const cycle = order.slice(0, 3);
    expect(new Set(cycle).size).toBe(3);
    expect(order).toEqual([...cycle, ...cycle, ...cycle, ...cycle]);
  });

  for (const [policy, path] of [["RING_HASH", "/ring"], ["MAGLEV", "/maglev"]] as const) {
    describe(policy, () => {
      it("sends the same x-user to the same upstream over 30 requests", async () => {
        const alice = await sequential(30, path, () => ({ "x-user": "alice" }));
        expect(new Set(alice).size).toBe(1);
        const bob = await sequential(30, path, () => ({ "x-user": "bob" }));
        expect(new Set(bob).size).toBe(1);
      });

      it("spreads different users over at least 2 upstreams, each user sticky", async () => {
        const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
        const first = await sequential(users.length, path, (i) => ({ "x-user": users[i] }));
        const again = await sequential(users.length, path, (i) => ({ "x-user": users[i] }));
        expect(again).toEqual(first);
        expect(Object.keys(countBy(first)).length).toBeGreaterThanOrEqual(2);
      });
    });
  }

  it("LEAST_REQUEST sends clearly fewer of 60 concurrent requests to a slow upstream", async () => {
    const landed = await concurrent(60, "/least");
    const counts = countBy(landed);
    expect(landed.length).toBe(60);
    // An even split gives the slow upstream 20. With two choices on active requests it is picked about
    // when both samples are the slow host (1/9): ≈ 8 expected, σ ≈ 2.4 — the bound is 3.5σ away.
    expect(counts.slow ?? 0).toBeLessThanOrEqual(16);
    expect((counts.fast1 ?? 0) + (counts.fast2 ?? 0)).toBeGreaterThanOrEqual(44);
  });

  it("ROUND_ROBIN under the same load still gives the slow upstream its third (contrast)", async () => {
    const landed = await concurrent(60, "/mixed-rr");
    expect(countBy(landed).slow).toBe(20);
  });

  it("RANDOM is roughly uniform over 300 requests", async () => {
    const counts = countBy(await sequential(300, "/random"));
    expect(Object.keys(counts).sort()).toEqual(["u0", "u1", "u2"]);
    // Expected 100 each (σ ≈ 8.2): bounds at about 5σ.
    for (const n of Object.values(counts)) {
      expect(n).toBeGreaterThan(60);
      expect(n).toBeLessThan(140);
    }
  });
});
