// The config store: atomic swaps, last good config kept on errors, duplicates across files, typed reads, hosts.
import { describe, expect, it } from "vitest";
import type { ConfigSnapshot } from "../../../control/config/config-store.ts";
import { createConfigStore } from "../../../control/config/config-store.ts";
import { hostCoveredBy, hostsOverlap, resolveHost } from "../../../control/config/host-names.ts";
import { formatProblem } from "../../../control/config/problem.ts";
import { bookinfo } from "./helpers.ts";

const BOOKINFO_SET = [
  bookinfo("platform/kube/bookinfo.yaml"),
  bookinfo("networking/destination-rule-all.yaml"),
  bookinfo("networking/virtual-service-all-v1.yaml"),
];

describe("createConfigStore", () => {
  it("loads Bookinfo, notifies subscribers once, and answers list/get with typed specs", () => {
    const store = createConfigStore();
    const seen: ConfigSnapshot[] = [];
    store.onChange((s) => seen.push(s));
    expect(store.version).toBe(0);
    expect(store.replaceAll(BOOKINFO_SET)).toEqual([]);
    expect(store.version).toBe(1);
    expect(seen.map((s) => s.version)).toEqual([1]);
    expect(store.list("VirtualService").map((o) => o.name)).toEqual([
      "details",
      "productpage",
      "ratings",
      "reviews",
    ]);
    const reviews = store.get("DestinationRule", "default", "reviews");
    expect(reviews?.spec.subsets?.map((s) => s.name)).toEqual(["v1", "v2", "v3"]);
    expect(reviews?.source).toEqual({ file: "networking/destination-rule-all.yaml", line: 12 });
    expect(store.get("VirtualService", "prod", "reviews")).toBeUndefined();
    expect(store.list("Service")).toHaveLength(4);
    expect(store.list("ServiceAccount")).toEqual([]);
    expect(Object.isFrozen(store.list("VirtualService")[0].spec)).toBe(true);
  });

  it("keeps the last good config when an update has an error, and reports where", () => {
    const store = createConfigStore();
    store.replaceAll(BOOKINFO_SET);
    const before = store.snapshot();
    let notified = 0;
    store.onChange(() => notified++);
    const bad = bookinfo("networking/virtual-service-reviews-50-v3.yaml");
    const broken = {
      file: "reviews.yaml",
      text: bad.text.replace("weight: 50\n    - destination", "weight: 150\n    - destination"),
    };
    const problems = store.replaceAll([BOOKINFO_SET[0], BOOKINFO_SET[1], broken]);
    expect(problems.map(formatProblem)).toContain(
      "reviews.yaml:13: VirtualService default/reviews: spec.http[0].route[0].weight: must be 0..100, got 150",
    );
    expect(store.version).toBe(1);
    expect(store.snapshot()).toBe(before);
    expect(store.get("VirtualService", "default", "details")).toBeDefined(); // the old set is still served
    expect(store.problems()).toEqual(problems);
    expect(notified).toBe(0);
  });

  it("swaps in a good update atomically; identical content is not a change", () => {
    const store = createConfigStore();
    store.replaceAll(BOOKINFO_SET);
    const old = store.snapshot();
    const next = [
      BOOKINFO_SET[0],
      BOOKINFO_SET[1],
      bookinfo("networking/virtual-service-reviews-50-v3.yaml"),
    ];
    expect(store.replaceAll(next)).toEqual([]);
    expect(store.version).toBe(2);
    expect(store.list("VirtualService").map((o) => o.name)).toEqual(["reviews"]);
    expect(old.list("VirtualService")).toHaveLength(4); // an old snapshot never changes under a reader
    store.replaceAll(next);
    expect(store.version).toBe(2);
  });

  it("rejects the same kind/namespace/name in two files", () => {
    const store = createConfigStore();
    const problems = store.replaceAll([
      ...BOOKINFO_SET,
      bookinfo("networking/virtual-service-reviews-test-v2.yaml"),
    ]);
    expect(problems.map(formatProblem)).toEqual([
      "networking/virtual-service-reviews-test-v2.yaml:1: VirtualService default/reviews: metadata.name: duplicate VirtualService default/reviews: also defined at networking/virtual-service-all-v1.yaml:14",
    ]);
    expect(store.version).toBe(0);
  });

  it("accepts warnings, and a subscriber that throws does not stop the others", () => {
    const errors: unknown[] = [];
    const store = createConfigStore({ onSubscriberError: (e) => errors.push(e) });
    let called = false;
    store.onChange(() => {
      throw new Error("boom");
    });
    const off = store.onChange(() => (called = true));
    const text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n";
    expect(store.replaceAll([{ file: "p.yaml", text }]).map((p) => p.severity)).toEqual(["warning"]);
    expect(store.version).toBe(1);
    expect(called).toBe(true);
    expect(errors).toHaveLength(1);
    off();
  });
});

describe("host names", () => {
  it("resolves short names the way Istio does", () => {
    expect(resolveHost("reviews", "default")).toBe("reviews.default.svc.cluster.local");
    expect(resolveHost("reviews", "prod", "mesh.internal")).toBe("reviews.prod.svc.mesh.internal");
    expect(resolveHost("reviews.prod.svc.cluster.local", "default")).toBe("reviews.prod.svc.cluster.local");
    expect(resolveHost("www.googleapis.com", "default")).toBe("www.googleapis.com");
    expect(resolveHost("httpbin.org", "default")).toBe("httpbin.org"); // dotted names are kept, as Istio does
    expect(resolveHost("reviews.prod", "default", "cluster.local", new Set(["prod"]))).toBe(
      "reviews.prod.svc.cluster.local",
    );
    expect(resolveHost("*", "default")).toBe("*");
    expect(resolveHost("*.example.com", "default")).toBe("*.example.com");
  });

  it("matches wildcards", () => {
    expect(hostCoveredBy("a.example.com", "*.example.com")).toBe(true);
    expect(hostCoveredBy("example.com", "*.example.com")).toBe(false);
    expect(hostCoveredBy("*.a.example.com", "*.example.com")).toBe(true);
    expect(hostsOverlap("*.example.com", "a.example.com")).toBe(true);
    expect(hostsOverlap("a.example.com", "b.example.com")).toBe(false);
    expect(hostsOverlap("*", "anything")).toBe(true);
  });
});
