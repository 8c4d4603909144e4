// findUnsupportedFields and validateBootstrap on messages built in code (as xDS resources will arrive).
import { create, fromBinary, fromJson, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { BootstrapSchema } from "../../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import {
  type Cluster_DiscoveryType,
  ClusterSchema,
} from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { NodeSchema } from "../../../gen/envoy/config/core/v3/base_pb.ts";
import { FilterSchema } from "../../../gen/envoy/config/listener/v3/listener_components_pb.ts";
import { RouterSchema } from "../../../gen/envoy/extensions/filters/http/router/v3/router_pb.ts";
import { ConfigError, formatConfigIssue } from "../../../proxy/config/config-error.ts";
import { createConfigRegistry } from "../../../proxy/config/registry.ts";
import { findUnsupportedFields, validateBootstrap } from "../../../proxy/config/validate.ts";

const registry = createConfigRegistry();
const HCM =
  "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const TCP = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

const cluster = (json: Record<string, unknown>) =>
  fromJson(ClusterSchema, { name: "c", ...json } as never, { registry });

describe("findUnsupportedFields", () => {
  it("accepts a cluster that uses only supported fields", () => {
    const c = cluster({
      type: "STRICT_DNS",
      connect_timeout: "1s",
      lb_policy: "RING_HASH",
      ring_hash_lb_config: { minimum_ring_size: 1024 },
      metadata: { filter_metadata: { anything: { goes: true } } },
      load_assignment: {
        cluster_name: "c",
        endpoints: [{
          lb_endpoints: [{ endpoint: { address: { socket_address: { address: "a", port_value: 1 } } } }],
        }],
      },
    });
    expect(findUnsupportedFields(c, registry)).toEqual([]);
  });

  it("reports set fields outside the table with their path and reason", () => {
    const c = cluster({
      outlier_detection: {},
      common_lb_config: {},
      load_assignment: { endpoints: [{ priority: 1, proximity: 2 }] },
    });
    expect(findUnsupportedFields(c, registry)).toEqual([
      {
        path: "load_assignment.endpoints[0].priority",
        segments: ["load_assignment", "endpoints", 0, "priority"],
        message: "1 is not supported (supported: 0)",
        at: "value",
      },
      {
        path: "load_assignment.endpoints[0].proximity",
        segments: ["load_assignment", "endpoints", 0, "proximity"],
        message: "not supported by Weft; remove it",
        at: undefined,
      },
      {
        path: "outlier_detection",
        segments: ["outlier_detection"],
        message: "outlier detection is not supported yet; remove it",
        at: undefined,
      },
      {
        path: "common_lb_config",
        segments: ["common_lb_config"],
        message: "common_lb_config is not supported; remove it",
        at: undefined,
      },
    ]);
  });

  it("reports enum numbers that name no value, and unsupported enum values", () => {
    const c = create(ClusterSchema, {
      name: "c",
      lbPolicy: 6,
      clusterDiscoveryType: { case: "type", value: 9 as Cluster_DiscoveryType },
    });
    const messages = findUnsupportedFields(c, registry).map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual([
      "type: 9 is not a value of envoy.config.cluster.v3.Cluster.DiscoveryType (use one of: STATIC, STRICT_DNS, LOGICAL_DNS, EDS)",
      "lb_policy: CLUSTER_PROVIDED is not supported (supported: ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV, LOAD_BALANCING_POLICY_CONFIG)",
    ]);
  });

  it("rejects an Any whose type is not in the registry, naming the supported types", () => {
    const f = create(FilterSchema, {
      name: "lua",
      configType: {
        case: "typedConfig",
        value: {
          $typeName: "google.protobuf.Any",
          typeUrl: "type.googleapis.com/envoy.extensions.filters.network.lua.v3.Lua",
          value: new Uint8Array(),
        },
      },
    });
    expect(findUnsupportedFields(f, registry)).toEqual([{
      path: "typed_config",
      segments: ["typed_config"],
      message:
        `unknown extension type.googleapis.com/envoy.extensions.filters.network.lua.v3.Lua — supported: ${HCM}, ${TCP}`,
      at: "value",
    }]);
  });

  it("rejects a known type in the wrong place, and walks into accepted ones", () => {
    const misplaced = create(FilterSchema, {
      name: "r",
      configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema)) },
    });
    expect(findUnsupportedFields(misplaced, registry)[0].message).toBe(
      `envoy.extensions.filters.http.router.v3.Router is not accepted here — supported: ${HCM}, ${TCP}`,
    );
    const tcp = fromJson(FilterSchema, {
      name: "t",
      typed_config: { "@type": TCP, cluster: "c", tunneling_config: { hostname: "h" } },
    }, { registry });
    expect(findUnsupportedFields(tcp, registry).map((i) => i.path)).toEqual([
      "typed_config.tunneling_config",
    ]);
  });

  it("reports unknown fields carried over from binary (a newer Envoy API)", () => {
    const bytes = toBinary(ClusterSchema, create(ClusterSchema, { name: "c" }));
    const extra = new Uint8Array([...bytes, 0xb8, 0x3e, 0x01]); // field 999, varint 1
    const issues = findUnsupportedFields(fromBinary(ClusterSchema, extra), registry);
    expect(issues.map((i) => i.message)).toEqual([
      "unknown field number(s) 999 in envoy.config.cluster.v3.Cluster (newer Envoy API?)",
    ]);
  });

  it("does not walk into ignored fields", () => {
    const b = fromJson(BootstrapSchema, {
      admin: {
        access_log: [{ name: "x" }],
        address: { socket_address: { address: "127.0.0.1", port_value: 9901 } },
      },
    }, { registry });
    expect(findUnsupportedFields(b, registry)).toEqual([]);
  });

  it("checks any message reachable from the registry's types, and refuses types it cannot know", () => {
    expect(findUnsupportedFields(create(NodeSchema, { id: "n", dynamicParameters: { a: {} } }), registry))
      .toMatchObject([
        { path: "dynamic_parameters", message: "not supported by Weft; remove it" },
      ]);
    const foreign = { $typeName: "acme.Config" } as unknown as Parameters<typeof findUnsupportedFields>[0];
    expect(findUnsupportedFields(foreign, registry)[0].message).toMatch(/not in the config registry/);
  });

  it("accepts ADS dynamic_resources and rejects non-ADS discovery with the field named", () => {
    const ads = fromJson(BootstrapSchema, {
      dynamic_resources: {
        ads_config: {
          api_type: "GRPC",
          transport_api_version: "V3",
          grpc_services: [{ envoy_grpc: { cluster_name: "xds" } }],
        },
        cds_config: { ads: {}, resource_api_version: "V3" },
        lds_config: { ads: {}, resource_api_version: "V3" },
      },
    }, { registry });
    expect(findUnsupportedFields(ads, registry)).toEqual([]);
    const file = fromJson(BootstrapSchema, { dynamic_resources: { cds_config: { path: "/etc/cds.yaml" } } }, {
      registry,
    });
    expect(findUnsupportedFields(file, registry)).toMatchObject([
      {
        path: "dynamic_resources.cds_config.path",
        message: "file-based discovery is not supported; use ads",
      },
    ]);
  });
});

describe("validateBootstrap", () => {
  it("throws a ConfigError with every issue, without positions for messages built in code", () => {
    const b = fromJson(BootstrapSchema, {
      layered_runtime: {},
      static_resources: { clusters: [{ name: "a", health_checks: [{}] }, { name: "a" }] },
    }, { registry });
    let err: ConfigError | undefined;
    try {
      validateBootstrap(b, registry, { file: "x.yaml" });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.code).toBe("config");
    // field walk in declaration order (static_resources is field 2, layered_runtime 17), then references
    expect(err!.issues.map(formatConfigIssue)).toEqual([
      "x.yaml: static_resources.clusters[0].health_checks: active health checking is not supported yet; remove it",
      "x.yaml: layered_runtime: runtime layers are not supported; remove it",
      'x.yaml: static_resources.clusters[1].name: duplicate cluster name "a"',
    ]);
    expect(err!.message.startsWith("x.yaml: static_resources.clusters[0].health_checks: active")).toBe(true);
  });

  it("passes a valid bootstrap", () => {
    expect(() => validateBootstrap(create(BootstrapSchema), registry)).not.toThrow();
  });
});

describe("formatConfigIssue", () => {
  it("writes file:line:column: path: reason, leaving out what is unknown", () => {
    expect(formatConfigIssue({ file: "b.yaml", line: 12, column: 7, path: "a.b", reason: "bad" })).toBe(
      "b.yaml:12:7: a.b: bad",
    );
    expect(formatConfigIssue({ file: "b.yaml", line: 2, path: "", reason: "bad" })).toBe("b.yaml:2: bad");
    expect(formatConfigIssue({ path: "a", reason: "bad" })).toBe("a: bad");
  });
});
