// Explicit-port binding: outbound listeners on the egress address, per-port inbound listeners, inbound clusters to the app.
import { describe, expect, it } from "vitest";
import { buildProxyResources } from "../../../control/translate/proxy-resources.ts";
import { applyLocalBindings } from "../../../control/translate/local-bindings.ts";
import { BOOKINFO_ISTIO, BOOKINFO_KUBE, pushFor, sidecar } from "./bookinfo.ts";

const address = (l: { address?: { address: { case?: string; value?: unknown } } }) => {
  const a = l.address?.address;
  const sa = a?.case === "socketAddress"
    ? a.value as { address: string; portSpecifier: { value: number } }
    : undefined;
  return `${sa?.address}:${sa?.portSpecifier.value}`;
};

describe("applyLocalBindings", () => {
  const push = pushFor([...BOOKINFO_KUBE, ...BOOKINFO_ISTIO]);
  const reviews = sidecar("reviews", "v2", "10.0.0.22");

  it("leaves resources alone for a proxy without bindings", () => {
    const resources = buildProxyResources(push, reviews);
    expect(applyLocalBindings(resources, reviews)).toBe(resources);
  });

  it("binds outbound listeners once per port on the egress address, inbound per port, and points inbound clusters at the app", () => {
    const bound = {
      ...reviews,
      bindings: { outboundAddress: "127.0.3.5", inboundAddress: "127.0.1.5", appAddress: "127.0.2.5" },
    };
    const out = applyLocalBindings(buildProxyResources(push, bound), bound);
    const listeners = out.listeners.map((l) => [l.name, address(l)]);
    expect(listeners).toContainEqual(["outbound_9080", "127.0.3.5:9080"]);
    expect(listeners).toContainEqual(["inbound_127.0.1.5_9080", "127.0.1.5:9080"]);
    expect(listeners.filter(([, a]) => a.endsWith(":9080") && a.startsWith("127.0.3."))).toHaveLength(1);
    expect(listeners.some(([name]) => name === "virtualInbound")).toBe(false);
    const inbound = out.clusters.find((c) => c.name === "inbound|9080||")!;
    const ep = inbound.loadAssignment!.endpoints[0].lbEndpoints[0].hostIdentifier;
    expect(
      ep.case === "endpoint" && ep.value.address?.address.case === "socketAddress" &&
        ep.value.address.address.value.address,
    )
      .toBe("127.0.2.5");
    const inboundListener = out.listeners.find((l) => l.name === "inbound_127.0.1.5_9080")!;
    expect(inboundListener.filterChains).toHaveLength(1);
    expect(inboundListener.filterChains[0].filterChainMatch).toBeUndefined();
  });
});
