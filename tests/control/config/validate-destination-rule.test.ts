// DestinationRule validation: subsets, load balancers, connection pools, outlier detection, TLS, port-level policies.
import { describe, expect, it } from "vitest";
import { checkConfigFile } from "../../../control/config/validate.ts";
import { bookinfo, errorsOf, problemsOf } from "./helpers.ts";

/** A DestinationRule for host reviews; the caller's lines start at line 7. */
const rule = (body: string) =>
  `apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: reviews\nspec:\n  host: reviews\n${body}`;

describe("DestinationRule validation", () => {
  it("accepts Istio's destination-rule-all.yaml as-is", () => {
    const { file, text } = bookinfo("networking/destination-rule-all.yaml");
    const checked = checkConfigFile(text, file);
    expect(checked.problems).toEqual([]);
    expect(checked.objects.map((o) => o.name)).toEqual(["productpage", "reviews", "ratings", "details"]);
  });

  it("requires a host and unique, well-formed subset names", () => {
    const yaml =
      "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  subsets:\n  - name: v1\n    labels: {version: v1}\n  - name: v1\n    labels: {version: v2}\n  - name: V_2\n    labels: {version: v2}\n";
    expect(errorsOf(yaml)).toEqual([
      "4 spec.host: host is required",
      `8 spec.subsets[1].name: duplicate subset name "v1"`,
      `10 spec.subsets[2].name: subset name "V_2" is invalid`,
    ]);
    expect(problemsOf(rule("  subsets:\n  - name: all\n"))).toEqual([
      "8 spec.subsets[0].labels: warning: subset has no labels: it selects every endpoint of the host",
    ]);
  });

  it("checks load balancer settings: simple values, one hash key, cookie names", () => {
    const yaml = rule(
      "  trafficPolicy:\n    loadBalancer:\n      simple: ROUND_ROBBIN\n  subsets:\n  - name: v1\n    labels: {version: v1}\n    trafficPolicy:\n      loadBalancer:\n        simple: LEAST_REQUEST\n        consistentHash: {httpHeaderName: x-user}\n  - name: v2\n    labels: {version: v2}\n    trafficPolicy:\n      loadBalancer:\n        consistentHash: {httpHeaderName: x, useSourceIp: true}\n  - name: v3\n    labels: {version: v3}\n    trafficPolicy:\n      loadBalancer:\n        consistentHash: {httpCookie: {ttl: 0s}}\n",
    );
    expect(errorsOf(yaml)).toEqual([
      `9 spec.trafficPolicy.loadBalancer.simple: must be one of UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST, got "ROUND_ROBBIN"`,
      "16 spec.subsets[0].trafficPolicy.loadBalancer.consistentHash: only one of simple, consistentHash may be set (found simple and consistentHash)",
      "21 spec.subsets[1].trafficPolicy.loadBalancer.consistentHash.useSourceIp: only one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName may be set (found httpHeaderName and useSourceIp)",
      "26 spec.subsets[2].trafficPolicy.loadBalancer.consistentHash.httpCookie.name: name required for httpCookie",
    ]);
  });

  it("checks connection pools, outlier detection and an empty traffic policy", () => {
    const yaml = rule(
      "  trafficPolicy:\n    connectionPool:\n      tcp: {maxConnections: -1, connectTimeout: 30}\n      http: {http1MaxPendingRequests: -5, idleTimeout: 1h, maxRetries: 3}\n    outlierDetection:\n      consecutive5xxErrors: 7\n      interval: 5m\n      baseEjectionTime: 15m\n      maxEjectionPercent: 110\n  subsets:\n  - name: v1\n    labels: {version: v1}\n    trafficPolicy: {}\n",
    );
    expect(errorsOf(yaml)).toEqual([
      "9 spec.trafficPolicy.connectionPool.tcp.maxConnections: must be non-negative, got -1",
      `9 spec.trafficPolicy.connectionPool.tcp.connectTimeout: invalid duration 30: write a number with a unit, like "1.5s", "100ms" or "1m"`,
      "10 spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: must be non-negative, got -5",
      "15 spec.trafficPolicy.outlierDetection.maxEjectionPercent: must be 0..100, got 110",
      "19 spec.subsets[0].trafficPolicy: traffic policy must have at least one field",
    ]);
  });

  it("checks TLS modes and port-level settings", () => {
    const yaml = rule(
      "  trafficPolicy:\n    tls: {mode: MUTUAL_TLS}\n    portLevelSettings:\n    - port: {number: 443}\n      tls: {mode: MUTUAL}\n    - tls: {mode: SIMPLE, sni: x.example.com}\n    - port: {number: 80}\n",
    );
    expect(errorsOf(yaml)).toEqual([
      `8 spec.trafficPolicy.tls.mode: must be one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL, got "MUTUAL_TLS"`,
      "11 spec.trafficPolicy.portLevelSettings[0].tls.clientCertificate: client certificate required for mutual TLS",
      "11 spec.trafficPolicy.portLevelSettings[0].tls.privateKey: private key required for mutual TLS",
      "12 spec.trafficPolicy.portLevelSettings[1].port: port traffic policy must have a port number",
      "13 spec.trafficPolicy.portLevelSettings[2]: port traffic policy must have at least one field",
    ]);
    expect(
      errorsOf(
        rule("  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL, sni: reviews.default.svc.cluster.local}\n"),
      ),
    ).toEqual([]);
  });
});
