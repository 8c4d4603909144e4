// VirtualService HTTP features → Envoy routes, checked by routing requests through Weft's route table.
import { toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { RouteSchema } from "../../../gen/envoy/config/route/v3/route_components_pb.ts";
import type { RouteConfiguration } from "../../../gen/envoy/config/route/v3/route_pb.ts";
import type { ConfigObject } from "../../../control/model/types.ts";
import { buildRoutes } from "../../../control/translate/routes.ts";
import type { HeaderMap } from "../../../proxy/http/types.ts";
import { compileRouteConfiguration } from "../../../proxy/route/route-table.ts";
import { BOOKINFO_KUBE, obj, PRODUCTPAGE, pushFor } from "./bookinfo.ts";

const RATINGS = "ratings.default.svc.cluster.local";

function withVs(http: unknown[], extra: ConfigObject[] = []) {
  const warnings: string[] = [];
  const config = [...BOOKINFO_KUBE, obj("VirtualService", "ratings", { hosts: ["ratings"], http }), ...extra];
  const routes = buildRoutes(pushFor(config), PRODUCTPAGE, (w) => warnings.push(w));
  const rc = routes.find((r) => r.name === "9080") as RouteConfiguration;
  const table = compileRouteConfiguration(rc);
  const vh = rc.virtualHosts.find((v) => v.name === `${RATINGS}:9080`)!;
  return {
    warnings,
    routes: vh.routes,
    json: () => vh.routes.map((r) => toJson(RouteSchema, r)),
    send(req: { path?: string; method?: string; headers?: HeaderMap; authority?: string } = {}) {
      return table.route({
        authority: req.authority ?? "ratings:9080",
        path: req.path ?? "/",
        method: req.method ?? "GET",
        headers: req.headers ?? {},
        random: () => 0.5,
      });
    },
  };
}

const to = (subset?: string) => [{ destination: { host: "ratings", subset } }];
const cluster = (s: ReturnType<ReturnType<typeof withVs>["send"]>) =>
  s?.action.kind === "forward" ? s.action.cluster : s?.action.kind;

describe("HTTP matches", () => {
  it("uri exact / prefix / regex, ignoreUriCase, method, scheme, authority", () => {
    const vs = withVs([
      { name: "exact", match: [{ uri: { exact: "/a" }, ignoreUriCase: true }], route: to("v1") },
      { name: "regex", match: [{ uri: { regex: "/r/[0-9]+" } }], route: to("v2") },
      { name: "post", match: [{ uri: { prefix: "/p" }, method: { exact: "POST" } }], route: to("v3") },
      { name: "auth", match: [{ authority: { prefix: "ratings.default" } }], route: to("v4") },
      { name: "rest", route: to() },
    ]);
    expect(cluster(vs.send({ path: "/A" }))).toBe(`outbound|9080|v1|${RATINGS}`);
    expect(cluster(vs.send({ path: "/r/42" }))).toBe(`outbound|9080|v2|${RATINGS}`);
    expect(cluster(vs.send({ path: "/r/x" }))).toBe(`outbound|9080||${RATINGS}`);
    expect(cluster(vs.send({ path: "/p/1", method: "POST" }))).toBe(`outbound|9080|v3|${RATINGS}`);
    expect(cluster(vs.send({ path: "/p/1" }))).toBe(`outbound|9080||${RATINGS}`);
    expect(cluster(vs.send({ authority: "ratings.default:9080" }))).toBe(`outbound|9080|v4|${RATINGS}`);
    expect(vs.json()[1]).toMatchObject({ match: { safeRegex: { regex: "/r/[0-9]+" } } });
    expect(vs.json()[2]).toMatchObject({
      match: { prefix: "/p", headers: [{ name: ":method", stringMatch: { exact: "POST" } }] },
    });
  });

  it("headers exact/prefix/regex/present, withoutHeaders, queryParams; matches are ORed", () => {
    const vs = withVs([
      {
        match: [{ headers: { "x-a": { prefix: "ab" } } }, { headers: { "x-b": { regex: "b+" } } }],
        route: to("v1"),
      },
      { match: [{ headers: { "x-c": {} } }], route: to("v2") },
      {
        match: [{ withoutHeaders: { "x-d": { exact: "1" } }, queryParams: { q: { exact: "1" } } }],
        route: to("v3"),
      },
      { route: to() },
    ]);
    expect(cluster(vs.send({ headers: { "x-a": "abc" } }))).toBe(`outbound|9080|v1|${RATINGS}`);
    expect(cluster(vs.send({ headers: { "x-b": "bbb" } }))).toBe(`outbound|9080|v1|${RATINGS}`);
    expect(cluster(vs.send({ headers: { "x-c": "" } }))).toBe(`outbound|9080|v2|${RATINGS}`);
    expect(cluster(vs.send({ path: "/?q=1" }))).toBe(`outbound|9080|v3|${RATINGS}`);
    expect(cluster(vs.send({ path: "/?q=1", headers: { "x-d": "1" } }))).toBe(`outbound|9080||${RATINGS}`);
    expect(vs.routes.length).toBe(5);
  });

  it("a match on another port, gateway or source namespace drops that match (and a route with none left)", () => {
    const vs = withVs([
      { match: [{ port: 8080 }], route: to("v1") },
      { match: [{ gateways: ["some-gateway"] }], route: to("v2") },
      {
        match: [{ sourceNamespace: "other" }, { sourceNamespace: "default", uri: { prefix: "/ns" } }],
        route: to("v3"),
      },
      { route: to() },
    ]);
    expect(vs.routes.map((r) => r.match?.pathSpecifier.value)).toEqual(["/ns", "/"]);
  });
});

describe("HTTP actions", () => {
  it("redirect, direct response, rewrite of path and authority", () => {
    const vs = withVs([
      {
        match: [{ uri: { prefix: "/old" } }],
        redirect: { uri: "/new", authority: "x.example", redirectCode: 302 },
      },
      { match: [{ uri: { exact: "/health" } }], directResponse: { status: 200, body: { string: "ok" } } },
      {
        match: [{ uri: { prefix: "/v1/" } }],
        rewrite: { uri: "/", authority: "ratings.internal" },
        route: to(),
      },
      {
        match: [{ uri: { prefix: "/re" } }],
        rewrite: { uriRegexRewrite: { match: "^/re/(.*)$", rewrite: "/\\1" } },
        route: to(),
      },
    ]);
    const redirect = vs.send({ path: "/old/x" });
    expect(redirect?.action).toMatchObject({
      kind: "redirect",
      status: 302,
      location: "http://x.example/new",
    });
    expect(vs.send({ path: "/health" })?.action).toMatchObject({
      kind: "direct_response",
      status: 200,
      body: "ok",
    });
    const rewritten = vs.send({ path: "/v1/items" });
    expect(rewritten?.action).toMatchObject({ kind: "forward", path: "/items", host: "ratings.internal" });
    expect(vs.send({ path: "/re/abc" })?.action).toMatchObject({ kind: "forward", path: "/abc" });
  });

  it("timeout, retries (attempts, perTryTimeout, retryOn with status codes), attempts 0 and the default", () => {
    const vs = withVs([
      {
        match: [{ uri: { prefix: "/a" } }],
        timeout: "1.5s",
        retries: {
          attempts: 3,
          perTryTimeout: "250ms",
          retryOn: "5xx,reset,429",
          backoff: "50ms",
          retryIgnorePreviousHosts: false,
        },
        route: to(),
      },
      { match: [{ uri: { prefix: "/b" } }], retries: { attempts: 0 }, route: to() },
      { route: to() },
    ]);
    const [a, b, c] = vs.json() as Record<string, Record<string, unknown>>[];
    expect(a.route).toMatchObject({
      timeout: "1.500s",
      retryPolicy: {
        retryOn: "5xx,reset,retriable-status-codes",
        numRetries: 3,
        perTryTimeout: "0.250s",
        retriableStatusCodes: [429],
        retryBackOff: { baseInterval: "0.050s" },
      },
    });
    expect((a.route.retryPolicy as Record<string, unknown>).retryHostPredicate).toBeUndefined();
    expect(b.route.retryPolicy).toBeUndefined();
    expect(c.route).toMatchObject({
      timeout: "0s",
      retryPolicy: {
        retryOn: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
        numRetries: 2,
        retriableStatusCodes: [503],
      },
    });
  });

  it("header operations on the route and per weighted destination", () => {
    const vs = withVs([{
      headers: {
        request: { set: { "x-set": "1" }, add: { "x-add": "2" }, remove: ["x-gone"] },
        response: { remove: ["server"] },
      },
      route: [
        {
          destination: { host: "ratings", subset: "v1" },
          weight: 80,
          headers: { request: { set: { "x-v": "1" } } },
        },
        { destination: { host: "ratings", subset: "v2" }, weight: 20 },
        { destination: { host: "ratings", subset: "v3" }, weight: 0 },
      ],
    }]);
    const [route] = vs.json() as Record<string, unknown>[];
    expect(route).toMatchObject({
      requestHeadersToAdd: [
        { header: { key: "x-set", value: "1" }, appendAction: "OVERWRITE_IF_EXISTS_OR_ADD" },
        { header: { key: "x-add", value: "2" } },
      ],
      requestHeadersToRemove: ["x-gone"],
      responseHeadersToRemove: ["server"],
      route: {
        weightedClusters: {
          clusters: [
            {
              name: `outbound|9080|v1|${RATINGS}`,
              weight: 80,
              requestHeadersToAdd: [{ header: { key: "x-v" } }],
            },
            { name: `outbound|9080|v2|${RATINGS}`, weight: 20 },
          ],
        },
      },
    });
    expect(
      vs.warnings.some((w) => w.includes("subset v1 of ratings.default.svc.cluster.local is not defined")),
    ).toBe(
      true,
    );
  });

  it("fault, mirror and CORS are left out with a warning", () => {
    const vs = withVs([{
      fault: { abort: { httpStatus: 500, percentage: { value: 10 } } },
      mirror: { host: "ratings" },
      corsPolicy: { allowOrigins: [{ exact: "*" }] },
      route: to(),
    }]);
    expect(vs.warnings).toEqual([
      "VirtualService default/ratings http[0]: fault injection is not supported by Weft's proxy yet; it is left out",
      "VirtualService default/ratings http[0]: request mirroring is not supported by Weft's proxy yet; it is left out",
      "VirtualService default/ratings http[0]: CORS policy is not supported by Weft's proxy yet; it is left out",
    ]);
    expect(cluster(vs.send())).toBe(`outbound|9080||${RATINGS}`);
  });

  it("consistent hashing adds the route hash policy", () => {
    const dr = obj("DestinationRule", "ratings", {
      host: "ratings.default.svc.cluster.local",
      trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: "user", ttl: "0s" } } } },
    });
    const vs = withVs([{ route: to() }], [dr]);
    expect(vs.json()[0]).toMatchObject({ route: { hashPolicy: [{ cookie: { name: "user" } }] } });
    expect(vs.warnings.some((w) => w.includes("cookie generation"))).toBe(true);
  });
});
