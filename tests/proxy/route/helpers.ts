// Shared test helpers: Envoy-style JSON → compiled route table, requests, and a seeded PRNG.
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { RouteConfigurationSchema } from "../../../gen/envoy/config/route/v3/route_pb.ts";
import type { HeaderMap } from "../../../proxy/http/types.ts";
import {
  compileRouteConfiguration,
  type RouteTable,
  type SelectedRoute,
} from "../../../proxy/route/route-table.ts";

export function table(json: JsonValue): RouteTable {
  return compileRouteConfiguration(fromJson(RouteConfigurationSchema, json));
}

/** A one-virtual-host table catching every domain. */
export function routes(routeList: JsonValue[], vhostExtra: Record<string, JsonValue> = {}): RouteTable {
  return table({ virtual_hosts: [{ name: "vh", domains: ["*"], routes: routeList, ...vhostExtra }] });
}

export interface Req {
  authority?: string;
  path?: string;
  method?: string;
  headers?: HeaderMap;
  scheme?: string;
  random?: () => number;
}

export function route(t: RouteTable, r: Req = {}): SelectedRoute | undefined {
  return t.route({
    authority: r.authority ?? "example.com",
    path: r.path ?? "/",
    method: r.method ?? "GET",
    headers: r.headers ?? {},
    scheme: r.scheme,
    random: r.random ?? (() => 0.5),
  });
}

/** The name of the route that matched, or undefined. */
export function routeName(t: RouteTable, r: Req = {}): string | undefined {
  return route(t, r)?.route?.name;
}

/** The cluster a forwarding route resolved to. */
export function clusterOf(t: RouteTable, r: Req = {}): string | undefined {
  const action = route(t, r)?.action;
  return action?.kind === "forward" ? action.cluster : undefined;
}

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
