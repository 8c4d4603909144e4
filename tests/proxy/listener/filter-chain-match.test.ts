// Tests for filter-chain selection: each step of Envoy's precedence, fallbacks, config errors, inspector needs.
import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { FilterChainMatchSchema } from "../../../gen/envoy/config/listener/v3/listener_components_pb.ts";
import { isWeftError } from "../../../proxy/errors.ts";
import {
  createFilterChainSelector,
  type FilterChainFacts,
} from "../../../proxy/listener/filter-chain-match.ts";

const chain = (
  json?: JsonObject,
) => (json === undefined ? {} : { match: fromJson(FilterChainMatchSchema, json) });
const selector = (matches: (JsonObject | undefined)[], hasDefault = false) =>
  createFilterChainSelector(matches.map(chain), hasDefault);

const base: FilterChainFacts = {
  destinationPort: 15006,
  destinationIp: "10.0.0.5",
  transportProtocol: "raw_buffer",
  applicationProtocols: [],
  sourceIp: "10.0.9.9",
  sourcePort: 40000,
  directSourceIp: "10.0.9.9",
};
const facts = (overrides: Partial<FilterChainFacts>): FilterChainFacts => ({ ...base, ...overrides });

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isWeftError(e, "config")) return e.message;
    throw e;
  }
  throw new Error("expected a config error");
}

describe("filter chain selection, step by step", () => {
  it("1. destination_port: the exact port, else chains without a port", () => {
    const s = selector([{ destination_port: 8080 }, {}]);
    expect(s.select(facts({ destinationPort: 8080 }))).toBe(0);
    expect(s.select(facts({ destinationPort: 9090 }))).toBe(1);
  });

  it("2. destination_ip: the longest matching prefix, else chains without prefix_ranges", () => {
    const s = selector([
      { prefix_ranges: [{ address_prefix: "10.0.0.0", prefix_len: 8 }] },
      {
        prefix_ranges: [{ address_prefix: "10.1.0.0", prefix_len: 16 }, {
          address_prefix: "172.16.0.0",
          prefix_len: 12,
        }],
      },
      {},
      { prefix_ranges: [{ address_prefix: "2001:db8::", prefix_len: 32 }] },
      { prefix_ranges: [{ address_prefix: "2001:db8:1::", prefix_len: 48 }] },
    ]);
    expect(s.select(facts({ destinationIp: "10.1.2.3" }))).toBe(1);
    expect(s.select(facts({ destinationIp: "10.2.2.3" }))).toBe(0);
    expect(s.select(facts({ destinationIp: "::ffff:10.2.2.3" }))).toBe(0);
    expect(s.select(facts({ destinationIp: "172.20.0.1" }))).toBe(1);
    expect(s.select(facts({ destinationIp: "192.168.0.1" }))).toBe(2);
    expect(s.select(facts({ destinationIp: "2001:db8:1::7" }))).toBe(4);
    expect(s.select(facts({ destinationIp: "2001:db8:2::7" }))).toBe(3);
    expect(s.select(facts({ destinationIp: "not-an-ip" }))).toBe(2);
  });

  it("3. server_names: exact, then the longest wildcard, then chains without server_names", () => {
    const s = selector([
      { server_names: ["www.example.com"] },
      { server_names: ["*.example.com"] },
      { server_names: ["*.com", "Other.Test"] },
      {},
    ]);
    expect(s.select(facts({ serverName: "www.example.com" }))).toBe(0);
    expect(s.select(facts({ serverName: "api.example.com" }))).toBe(1);
    expect(s.select(facts({ serverName: "a.b.example.com" }))).toBe(1);
    expect(s.select(facts({ serverName: "example.com" }))).toBe(2); // *.example.com needs a label before it
    expect(s.select(facts({ serverName: "other.test" }))).toBe(2);
    expect(s.select(facts({ serverName: "example.org" }))).toBe(3);
    expect(s.select(facts({}))).toBe(3); // no SNI only matches chains without server_names
  });

  it("4. transport_protocol: the detected protocol, else chains without one", () => {
    const s = selector([{ transport_protocol: "tls" }, {
      transport_protocol: "raw_buffer",
      destination_port: 1,
    }, {}]);
    expect(s.select(facts({ transportProtocol: "tls" }))).toBe(0);
    expect(s.select(facts({ transportProtocol: "raw_buffer" }))).toBe(2);
    const t = selector([{ transport_protocol: "tls" }, { transport_protocol: "raw_buffer" }]);
    expect(t.select(facts({ transportProtocol: "raw_buffer" }))).toBe(1);
  });

  it("5. application_protocols: the client's most preferred protocol that any chain lists", () => {
    const s = selector([
      { application_protocols: ["http/1.1"] },
      { application_protocols: ["h2", "h2c"] },
      {},
    ]);
    expect(s.select(facts({ applicationProtocols: ["h2", "http/1.1"] }))).toBe(1);
    expect(s.select(facts({ applicationProtocols: ["http/1.1", "h2"] }))).toBe(0);
    expect(s.select(facts({ applicationProtocols: ["spdy/3", "h2c"] }))).toBe(1);
    expect(s.select(facts({ applicationProtocols: ["istio"] }))).toBe(2);
    expect(s.select(facts({ applicationProtocols: [] }))).toBe(2);
  });

  it("6. direct_source_prefix_ranges: the directly connected peer, longest prefix", () => {
    const s = selector([
      { direct_source_prefix_ranges: [{ address_prefix: "10.0.0.0", prefix_len: 8 }] },
      { direct_source_prefix_ranges: [{ address_prefix: "10.0.9.0", prefix_len: 24 }] },
      {},
    ]);
    expect(s.select(facts({ sourceIp: "192.168.0.1", directSourceIp: "10.0.9.1" }))).toBe(1);
    expect(s.select(facts({ sourceIp: "10.0.9.1", directSourceIp: "10.3.0.1" }))).toBe(0);
    expect(s.select(facts({ sourceIp: "10.0.9.1", directSourceIp: "192.168.0.1" }))).toBe(2);
  });

  it("7. source_type: loopback or same IP is local, anything else external, ANY is the fallback", () => {
    const s = selector([{ source_type: "SAME_IP_OR_LOOPBACK" }, { source_type: "EXTERNAL" }]);
    expect(s.select(facts({ sourceIp: "127.0.0.1" }))).toBe(0);
    expect(s.select(facts({ sourceIp: "::1" }))).toBe(0);
    expect(s.select(facts({ sourceIp: "10.0.0.5", destinationIp: "::ffff:10.0.0.5" }))).toBe(0);
    expect(s.select(facts({ sourceIp: "10.0.0.6" }))).toBe(1);
    const t = selector([{ source_type: "EXTERNAL" }, { source_type: "ANY" }]);
    expect(t.select(facts({ sourceIp: "127.0.0.1" }))).toBe(1);
    expect(t.select(facts({ sourceIp: "8.8.8.8" }))).toBe(0);
  });

  it("8. source_prefix_ranges: the (possibly proxy-protocol) source, longest prefix", () => {
    const s = selector([
      { source_prefix_ranges: [{ address_prefix: "192.168.0.0", prefix_len: 16 }] },
      { source_prefix_ranges: [{ address_prefix: "192.168.7.0", prefix_len: 24 }] },
      {},
      { source_prefix_ranges: [{ address_prefix: "0.0.0.0", prefix_len: 0 }] },
    ]);
    expect(s.select(facts({ sourceIp: "192.168.7.7", directSourceIp: "10.0.0.1" }))).toBe(1);
    expect(s.select(facts({ sourceIp: "192.168.8.7" }))).toBe(0);
    expect(s.select(facts({ sourceIp: "8.8.8.8" }))).toBe(3); // an explicit /0 beats no ranges
    expect(s.select(facts({ sourceIp: "2001:db8::1" }))).toBe(2);
  });

  it("9. source_ports: a listed port, else chains without source_ports", () => {
    const s = selector([{ source_ports: [40000, 40001] }, { source_ports: [50000] }, {}]);
    expect(s.select(facts({ sourcePort: 40001 }))).toBe(0);
    expect(s.select(facts({ sourcePort: 50000 }))).toBe(1);
    expect(s.select(facts({ sourcePort: 1234 }))).toBe(2);
  });
});

describe("filter chain selection: precedence and fallback", () => {
  it("an earlier criterion decides before a later, more specific one", () => {
    const s = selector([{ destination_port: 443 }, {
      server_names: ["a.example.com"],
      transport_protocol: "tls",
    }]);
    expect(s.select(facts({ destinationPort: 443, serverName: "a.example.com", transportProtocol: "tls" })))
      .toBe(0);
    const t = selector([{ server_names: ["a.example.com"] }, {
      transport_protocol: "tls",
      application_protocols: ["h2"],
    }]);
    expect(
      t.select(
        facts({ serverName: "a.example.com", transportProtocol: "tls", applicationProtocols: ["h2"] }),
      ),
    )
      .toBe(0);
  });

  it("does not backtrack: once a step picks the most specific value, later mismatches mean no chain", () => {
    const s = selector([{ destination_port: 8080, transport_protocol: "tls" }, {
      transport_protocol: "raw_buffer",
    }], true);
    expect(s.select(facts({ destinationPort: 8080, transportProtocol: "raw_buffer" }))).toBe("default");
    const t = selector([{ server_names: ["*.example.com"], source_ports: [1] }, {}]);
    expect(t.select(facts({ serverName: "x.example.com", sourcePort: 2 }))).toBeUndefined();
    expect(t.select(facts({ serverName: "x.example.org", sourcePort: 2 }))).toBe(1);
  });

  it("falls back to the default chain, or to nothing", () => {
    expect(selector([{ destination_port: 1 }], true).select(base)).toBe("default");
    expect(selector([{ destination_port: 1 }], false).select(base)).toBeUndefined();
    expect(selector([], true).select(base)).toBe("default");
    expect(selector([undefined]).select(base)).toBe(0); // a chain without a match matches everything
  });

  it("routes like an Istio inbound listener", () => {
    const mtls = { transport_protocol: "tls", application_protocols: ["istio-peer-exchange", "istio"] };
    const s = selector([
      { destination_port: 9080, ...mtls },
      {
        destination_port: 9080,
        transport_protocol: "raw_buffer",
        application_protocols: ["http/1.1", "http/1.0", "h2c"],
      },
      { destination_port: 9080, transport_protocol: "raw_buffer" },
      { prefix_ranges: [{ address_prefix: "0.0.0.0", prefix_len: 0 }], transport_protocol: "tls" },
      { prefix_ranges: [{ address_prefix: "0.0.0.0", prefix_len: 0 }], transport_protocol: "raw_buffer" },
    ], true);
    const mesh = {
      transportProtocol: "tls",
      applicationProtocols: ["istio-peer-exchange", "istio-http/1.1", "istio"],
    } as const;
    expect(s.select(facts({ destinationPort: 9080, ...mesh }))).toBe(0);
    expect(s.select(facts({ destinationPort: 9080, applicationProtocols: ["h2c"] }))).toBe(1);
    expect(s.select(facts({ destinationPort: 9080 }))).toBe(2);
    expect(s.select(facts({ destinationPort: 9080, transportProtocol: "tls", applicationProtocols: ["h2"] })))
      .toBe("default");
    expect(s.select(facts({ destinationPort: 3306, transportProtocol: "tls" }))).toBe(3);
    expect(s.select(facts({ destinationPort: 3306 }))).toBe(4);
    expect(s.select(facts({ destinationPort: 3306, destinationIp: "2001:db8::1" }))).toBe("default");
    expect(s.needsTlsInspector).toBe(true);
    expect(s.needsHttpInspector).toBe(true);
  });
});

describe("filter chain config errors", () => {
  it("rejects two chains with the same filter_chain_match, whatever the order of list values", () => {
    expect(
      configError(() =>
        selector([{ destination_port: 80 }, { server_names: ["a"] }, { destination_port: 80 }])
      ),
    )
      .toBe("filter_chains[0] and filter_chains[2] have the same filter_chain_match");
    expect(
      configError(() =>
        selector([{ server_names: ["a.test", "b.test"] }, { server_names: ["B.test", "a.test"] }])
      ),
    )
      .toBe("filter_chains[0] and filter_chains[1] have the same filter_chain_match");
    expect(configError(() => selector([undefined, {}])))
      .toBe("filter_chains[0] and filter_chains[1] have the same filter_chain_match");
    expect(configError(() =>
      selector([
        { prefix_ranges: [{ address_prefix: "10.1.2.3", prefix_len: 16 }] },
        { prefix_ranges: [{ address_prefix: "10.1.0.0", prefix_len: 16 }] },
      ])
    )).toBe("filter_chains[0] and filter_chains[1] have the same filter_chain_match");
  });

  it("rejects overlapping matches that one connection could satisfy twice", () => {
    expect(
      configError(() =>
        selector([{ server_names: ["a.test", "b.test"] }, { server_names: ["b.test", "c.test"] }])
      ),
    )
      .toContain("filter_chains[0] and filter_chains[1] have overlapping filter_chain_match");
    // Different values on any one criterion keep chains apart.
    expect(() =>
      selector([{ server_names: ["a.test"], source_ports: [1] }, {
        server_names: ["a.test"],
        source_ports: [2],
      }])
    )
      .not.toThrow();
    expect(() => selector([{ transport_protocol: "tls" }, {}])).not.toThrow();
  });

  it("rejects invalid values, naming the field", () => {
    expect(configError(() => selector([{ server_names: ["*w.example.com"] }]))).toContain(
      "filter_chains[0].filter_chain_match.server_names[0]: partial wildcards",
    );
    expect(configError(() => selector([{}, { server_names: ["a.*.com"] }]))).toContain("server_names[0]");
    expect(configError(() => selector([{ server_names: ["*"] }]))).toContain("omit server_names");
    expect(configError(() => selector([{ prefix_ranges: [{ address_prefix: "10.0.0.0", prefix_len: 40 }] }])))
      .toContain("filter_chains[0].filter_chain_match.prefix_ranges[0]");
    expect(configError(() => selector([{ source_prefix_ranges: [{ address_prefix: "nope" }] }])))
      .toContain("source_prefix_ranges[0]");
    expect(configError(() => selector([{ address_suffix: "::1" }]))).toContain("address_suffix");
    expect(configError(() => selector([{ destination_port: 70000 }]))).toContain("destination_port");
    expect(configError(() => selector([{ source_ports: [0] }]))).toContain("source_ports[0]");
  });
});

describe("listener filters a listener needs", () => {
  it("asks for the tls inspector for SNI, TLS, or ALPN on an unspecified transport", () => {
    expect(selector([{ server_names: ["a.test"] }]).needsTlsInspector).toBe(true);
    expect(selector([{ transport_protocol: "tls" }]).needsTlsInspector).toBe(true);
    expect(selector([{ application_protocols: ["h2"] }]).needsTlsInspector).toBe(true);
    expect(selector([{ application_protocols: ["h2c"] }]).needsTlsInspector).toBe(false);
    expect(
      selector([{ transport_protocol: "raw_buffer", application_protocols: ["http/1.1"] }]).needsTlsInspector,
    )
      .toBe(false);
    expect(selector([{ destination_port: 80 }, undefined]).needsTlsInspector).toBe(false);
  });

  it("asks for the http inspector for plaintext http/1.x or h2c", () => {
    expect(
      selector([{ transport_protocol: "raw_buffer", application_protocols: ["http/1.1"] }])
        .needsHttpInspector,
    )
      .toBe(true);
    expect(selector([{ application_protocols: ["h2c"] }]).needsHttpInspector).toBe(true);
    expect(selector([{ transport_protocol: "tls", application_protocols: ["http/1.1"] }]).needsHttpInspector)
      .toBe(false);
    expect(selector([{ application_protocols: ["h2"] }]).needsHttpInspector).toBe(false);
    expect(selector([{ server_names: ["a.test"] }]).needsHttpInspector).toBe(false);
  });
});
