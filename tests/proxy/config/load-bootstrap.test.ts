// parseBootstrap: Envoy bootstraps in YAML and JSON decode; every kind of error names file, line, column and path.
import { toJson } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { BootstrapSchema } from "../../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import { Cluster_DiscoveryType, Cluster_LbPolicy } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { HttpConnectionManagerSchema } from "../../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import { ConfigError } from "../../../proxy/config/config-error.ts";
import { loadBootstrap, parseBootstrap } from "../../../proxy/config/load-bootstrap.ts";
import { createConfigRegistry } from "../../../proxy/config/registry.ts";
import { isWeftError } from "../../../proxy/errors.ts";
import { FRONT_PROXY_YAML, positionOf, withReplaced } from "./fixtures.ts";

const registry = createConfigRegistry();

function errorOf(text: string, file = "bootstrap.yaml"): ConfigError {
  try {
    parseBootstrap(text, file, { registry });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map((
      [k, v],
    ) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), camelKeys(v)]),
  );
}

const HCM_PATH = "static_resources.listeners[0].filter_chains[0].filters[0].typed_config";

describe("parseBootstrap: valid bootstraps", () => {
  it("decodes a realistic Envoy front-proxy YAML", () => {
    const b = parseBootstrap(FRONT_PROXY_YAML, "front-proxy.yaml", { registry });
    expect(b.node?.id).toBe("front-proxy-1");
    const [api, web] = b.staticResources!.clusters;
    expect(api.name).toBe("service_api");
    expect(api.clusterDiscoveryType).toEqual({ case: "type", value: Cluster_DiscoveryType.STATIC });
    expect(api.connectTimeout).toMatchObject({ seconds: 0n, nanos: 250_000_000 });
    expect(api.loadAssignment!.endpoints[0].lbEndpoints[1].loadBalancingWeight).toBe(2);
    expect(web.clusterDiscoveryType).toEqual({ case: "type", value: Cluster_DiscoveryType.STRICT_DNS });
    expect(web.lbPolicy).toBe(Cluster_LbPolicy.LEAST_REQUEST);
    expect(web.circuitBreakers!.thresholds[0].maxConnections).toBe(512);
    const filter = b.staticResources!.listeners[0].filterChains[0].filters[0];
    expect(filter.configType.case).toBe("typedConfig");
    const hcm = anyUnpack(filter.configType.value as never, HttpConnectionManagerSchema)!;
    expect(hcm.statPrefix).toBe("ingress_http");
    expect(hcm.streamIdleTimeout?.seconds).toBe(300n);
    const routes = hcm.routeSpecifier.case === "routeConfig"
      ? hcm.routeSpecifier.value.virtualHosts[0].routes
      : [];
    expect(routes.map((r) => (r.action.case === "route" ? r.action.value.clusterSpecifier.value : undefined)))
      .toEqual(["service_api", "service_web", "service_web"]);
  });

  it("decodes the same bootstrap written as JSON, and chooses JSON by extension or leading brace", () => {
    const fromYaml = parseBootstrap(FRONT_PROXY_YAML, "b.yaml", { registry });
    const json = JSON.stringify(parseYaml(FRONT_PROXY_YAML), null, 2);
    for (const name of ["bootstrap.json", "bootstrap.conf"]) {
      const fromJson = parseBootstrap(json, name, { registry });
      expect(toJson(BootstrapSchema, fromJson, { registry })).toEqual(
        toJson(BootstrapSchema, fromYaml, { registry }),
      );
    }
  });

  it("accepts camelCase field names as well as snake_case", () => {
    const camel = camelKeys(parseYaml(FRONT_PROXY_YAML)) as Record<string, unknown>;
    expect(Object.keys(camel)).toContain("staticResources");
    const b = parseBootstrap(JSON.stringify(camel), "camel.json", { registry });
    expect(b.staticResources!.clusters[1].dnsLookupFamily).toBe(1); // V4_ONLY
    expect(toJson(BootstrapSchema, b, { registry })).toEqual(
      toJson(BootstrapSchema, parseBootstrap(FRONT_PROXY_YAML, "b.yaml", { registry }), { registry }),
    );
  });

  it("loadBootstrap always validates and takes the registry as its third argument", () => {
    expect(loadBootstrap(FRONT_PROXY_YAML, "b.yaml", registry).staticResources!.listeners).toHaveLength(1);
    const bad = withReplaced("lb_policy: ROUND_ROBIN", "lb_policy: CLUSTER_PROVIDED");
    expect(() => loadBootstrap(bad, "b.yaml")).toThrow(ConfigError);
    expect(() => parseBootstrap(bad, "b.yaml", { validate: false })).not.toThrow();
  });
});

describe("parseBootstrap: errors carry file, line, column and field path", () => {
  it("reports YAML syntax errors with their position", () => {
    const text = withReplaced('domains: ["*"]', 'domains: ["*"');
    const err = errorOf(text);
    expect(isWeftError(err, "config")).toBe(true);
    expect(err.file).toBe("bootstrap.yaml");
    expect(err.path).toBe("");
    expect(err.reason).toMatch(/^invalid YAML: /);
    expect(err.line).toBe(positionOf(text, "routes:").line);
    expect(err.message).toMatch(new RegExp(`^bootstrap\\.yaml:${err.line}:\\d+: invalid YAML`));
  });

  it("reports an unknown key at the key, with a suggestion", () => {
    const text = withReplaced("  id: front-proxy-1", "  idx: front-proxy-1");
    const err = errorOf(text);
    expect(err.path).toBe("node.idx");
    expect([err.line, err.column]).toEqual([3, 3]);
    expect(err.message).toBe(
      'bootstrap.yaml:3:3: node.idx: unknown field "idx" in envoy.config.core.v3.Node (did you mean "id"?)',
    );
  });

  it("reports an unknown key inside a typed_config with the path through the Any", () => {
    const text = withReplaced("stat_prefix: ingress_http", "stat_prefx: ingress_http");
    const err = errorOf(text);
    expect(err.path).toBe(`${HCM_PATH}.stat_prefx`);
    expect({ line: err.line, column: err.column }).toEqual(positionOf(text, "stat_prefx"));
    expect(err.reason).toContain('did you mean "stat_prefix"?');
  });

  it("reports a bad duration at the value", () => {
    const text = withReplaced("connect_timeout: 0.25s", "connect_timeout: soon");
    const err = errorOf(text);
    expect(err.path).toBe("static_resources.clusters[0].connect_timeout");
    expect({ line: err.line, column: err.column }).toEqual(positionOf(text, "soon"));
    expect(err.reason).toBe(
      'invalid duration "soon": write seconds with an "s" suffix, e.g. "5s" or "0.250s"',
    );
  });

  it("reports wrong value types and unknown enum names", () => {
    const typed = errorOf(withReplaced("port_value: 8080", "port_value: http"));
    expect(typed.path).toBe("static_resources.listeners[0].address.socket_address.port_value");
    expect(typed.reason).toMatch(/expected number/);
    const misspelt = errorOf(withReplaced("lb_policy: LEAST_REQUEST", "lb_policy: LEAST_REQUESTS"));
    expect(misspelt.path).toBe("static_resources.clusters[1].lb_policy");
    expect(misspelt.reason).toContain('did you mean "LEAST_REQUEST"?');
  });

  it("reports an unknown typed_config @type with the supported types", () => {
    const text = withReplaced(
      "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
      "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
    );
    const err = errorOf(text);
    expect(err.path).toBe(`${HCM_PATH}.http_filters[0].typed_config`);
    expect(err.line).toBe(
      positionOf(text, '"@type": type.googleapis.com/envoy.extensions.filters.http.lua').line,
    );
    expect(err.reason).toBe(
      "unknown extension type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua — supported: " +
        "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
    );
  });

  it("reports an unsupported field at its key, saying what to do", () => {
    const text = withReplaced(
      "    lb_policy: ROUND_ROBIN\n",
      "    lb_policy: ROUND_ROBIN\n    outlier_detection: { consecutive_5xx: 3 }\n",
    );
    const err = errorOf(text);
    expect(err.path).toBe("static_resources.clusters[0].outlier_detection");
    expect({ line: err.line, column: err.column }).toEqual(positionOf(text, "outlier_detection"));
    expect(err.reason).toBe("outlier detection is not supported yet; remove it");
  });

  it("reports an unsupported enum value with the supported ones", () => {
    const text = withReplaced("lb_policy: ROUND_ROBIN", "lb_policy: CLUSTER_PROVIDED");
    const err = errorOf(text);
    expect(err.message).toMatch(
      /^bootstrap\.yaml:\d+:\d+: static_resources\.clusters\[0\]\.lb_policy: CLUSTER_PROVIDED is not supported \(supported: ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV/,
    );
    expect({ line: err.line, column: err.column }).toEqual(positionOf(text, "CLUSTER_PROVIDED"));
  });

  it("reports a route naming a missing cluster", () => {
    const text = withReplaced("route: { cluster: service_web }", "route: { cluster: service_wbe }");
    const err = errorOf(text);
    expect(err.path).toBe(`${HCM_PATH}.route_config.virtual_hosts[0].routes[2].route.cluster`);
    expect({ line: err.line, column: err.column }).toEqual(positionOf(text, "service_wbe"));
    expect(err.reason).toBe(
      'cluster "service_wbe" is not defined in static_resources.clusters (did you mean "service_web"?)',
    );
  });

  it("reports route mirroring (not implemented) with the route's path", () => {
    const text = withReplaced(
      "                  timeout: 5s\n",
      "                  timeout: 5s\n                  request_mirror_policies: [{ cluster: service_web }]\n",
    );
    const err = errorOf(text);
    expect(err.path).toBe(
      `${HCM_PATH}.route_config.virtual_hosts[0].routes[0].route.request_mirror_policies`,
    );
    expect(err.line).toBe(positionOf(text, "request_mirror_policies").line);
  });

  it("lists every problem, in file order, when there are several", () => {
    let text = withReplaced("route: { cluster: service_web }", "route: { cluster: nowhere }");
    text = withReplaced(
      "    lb_policy: ROUND_ROBIN\n",
      "    lb_policy: ROUND_ROBIN\n    health_checks: []\n    outlier_detection: {}\n",
      text,
    );
    text = withReplaced(
      "  cluster: front-proxy\n",
      "  cluster: front-proxy\n  dynamic_parameters: {}\n",
      text,
    );
    const err = errorOf(text);
    // health_checks: [] and dynamic_parameters: {} are empty, so not set; outlier_detection: {} is set
    expect(err.issues.map((i) => i.path)).toEqual([
      `${HCM_PATH}.route_config.virtual_hosts[0].routes[2].route.cluster`,
      "static_resources.clusters[0].outlier_detection",
    ]);
    expect(err.issues.map((i) => i.line)).toEqual([
      positionOf(text, "nowhere").line,
      positionOf(text, "outlier_detection").line,
    ]);
    expect(err.message.split("\n")).toHaveLength(3);
  });

  it("reports JSON syntax errors and duplicate keys in JSON with positions", () => {
    const broken = '{\n  "node": {\n    "id": "x",\n  }\n}\n';
    const syntax = errorOf(broken, "b.json");
    expect(syntax.reason).toMatch(/^invalid JSON: /);
    expect(syntax.line).toBe(4);
    const dup = errorOf('{\n  "node": { "id": "a" },\n  "node": { "id": "b" }\n}\n', "b.json");
    expect(dup.reason).toMatch(/^duplicate key/);
    expect(dup.line).toBe(3);
  });

  it("maps decode errors in JSON files to lines too", () => {
    const json = '{\n  "node": {\n    "id": "x",\n    "idx": 1\n  }\n}\n';
    const err = errorOf(json, "b.json");
    expect([err.path, err.line, err.column]).toEqual(["node.idx", 4, 5]);
  });

  it("rejects an empty file", () => {
    expect(errorOf("# nothing\n").reason).toMatch(/empty/);
  });
});
