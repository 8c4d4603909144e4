// Delta subscription state: steps and first answers shared between streams, copied before one of them changes.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  applySubscription,
  type DeltaTypeState,
  NO_NAMES,
  whatToSend,
} from "../../../control/xds/delta-state.ts";
import type { VersionedResource } from "../../../control/xds/snapshot.ts";
import { DeltaDiscoveryRequestSchema } from "../../../gen/envoy/service/discovery/v3/discovery_pb.ts";

const names = Array.from({ length: 50 }, (_, i) => `outbound|80||svc-${i}.default`);
const all: ReadonlyMap<string, VersionedResource> = new Map(
  names.map((name) => [name, { name, version: "v1", resource: {} as never }]),
);

function fresh(wildcard = false): DeltaTypeState {
  return {
    wildcard,
    names: NO_NAMES,
    known: undefined,
    missing: NO_NAMES,
    missingShared: true,
    answered: false,
  };
}

/** The first answer for a stream, as the delta protocol asks for it. */
const send = (state: DeltaTypeState) => whatToSend(state, all, undefined);

const subscribeTo = (list: readonly string[], unsubscribe: string[] = []) =>
  create(DeltaDiscoveryRequestSchema, {
    resourceNamesSubscribe: list as string[],
    resourceNamesUnsubscribe: unsubscribe,
  });

describe("delta subscription state", () => {
  it("streams subscribing the same shared list share its sets, and each can still change its own", () => {
    const shared = Object.freeze([...names.slice(10), "outbound|1||nope"]);
    const [a, b] = [fresh(), fresh()];
    for (const s of [a, b]) applySubscription(s, subscribeTo(shared), all);
    expect(a.names).toBe(b.names);
    expect(a.missing).toBe(b.missing);
    expect([...a.missing]).toEqual(shared);
    // The first answer: the same delta object for both, in the map's order, one run, the unknown name removed.
    const first = send(a);
    expect(send(b)).toBe(first);
    expect(first.changed.map((r) => r.name)).toEqual(names.slice(10));
    expect(first.run).toBe(10);
    expect(first.removed).toEqual(["outbound|1||nope"]);
    // b drops a name before its answer: a's pending names stay as they were.
    applySubscription(b, subscribeTo([], [names[12]]), all);
    expect(b.missing.has(names[12])).toBe(false);
    expect(a.missing.has(names[12])).toBe(true);
    expect(b.names.has(names[12])).toBe(false);
    expect(a.names.has(names[12])).toBe(true);
  });

  it("a list decoded for one request alone (not frozen) takes the same step, unshared", () => {
    const a = fresh();
    const b = fresh();
    applySubscription(a, subscribeTo(Object.freeze(names.slice(0, 5))), all);
    applySubscription(b, subscribeTo(names.slice(0, 5)), all);
    expect(b.missingShared).toBe(false);
    expect([...b.missing]).toEqual([...a.missing]);
    expect([...b.names]).toEqual([...a.names]);
    expect(send(b).changed).toEqual(
      send(a).changed,
    );
  });

  it("a wildcard stream's first answer is all of the map, shared; with versions already held, only the others", () => {
    const a = fresh(true);
    const everything = send(a);
    expect(everything.changed.map((r) => r.name)).toEqual(names);
    expect(everything.run).toBe(0);
    expect(send(fresh(true))).toBe(everything);
    const holding = { ...fresh(true), known: new Map([[names[0], "v1"], ["outbound|1||gone", "v0"]]) };
    const rest = send(holding);
    expect(rest.changed.map((r) => r.name)).toEqual(names.slice(1));
    expect(rest.removed).toEqual(["outbound|1||gone"]);
  });

  it("keeps only the sets streams hold: a chain of subscription steps is collected behind them", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const state = fresh();
    // Not frozen: these steps are remembered per set (`subscribe`), not per shared request list.
    applySubscription(state, subscribeTo(names.slice(0, 30)), all);
    const first = new WeakRef(state.names);
    for (const name of names.slice(30)) applySubscription(state, subscribeTo([name]), all);
    // Equal steps from the same set still give the same set while a stream holds it.
    const other = fresh();
    applySubscription(other, subscribeTo(names.slice(0, 30)), all);
    await new Promise((resolve) => setTimeout(resolve, 0)); // WeakRefs stay set until the current job ends
    gc();
    expect(state.names.size).toBe(50);
    expect(first.deref()).toBe(other.names);
    applySubscription(other, subscribeTo(["outbound|1||nope"]), all);
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(first.deref()).toBeUndefined();
  });
});
