import { describe, expect, it } from "vitest";
import { route, table } from "./helpers.ts";
import type { JsonValue } from "@bufbuild/protobuf";
import type { HeaderMap } from "../../../proxy/http/types.ts";
import { applyHeaderMutation } from "../../../proxy/route/header-mutation.ts";
import type { ForwardResolution } from "../../../proxy/route/route-table.ts";

const add = (key: string, value: string, extra: Record<string, JsonValue> = {}) => ({
  header: { key, value },
  ...extra,
});

function levels(opts: {
  config?: JsonValue[];
  vhost?: JsonValue[];
  route?: JsonValue[];
  remove?: { config?: string[]; vhost?: string[]; route?: string[] };
  mostSpecificWins?: boolean;
}) {
  return table({
    most_specific_header_mutations_wins: opts.mostSpecificWins ?? false,
    request_headers_to_add: opts.config ?? [],
    request_headers_to_remove: opts.remove?.config ?? [],
    response_headers_to_add: opts.config ?? [],
    virtual_hosts: [{
      name: "v",
      domains: ["*"],
      request_headers_to_add: opts.vhost ?? [],
      request_headers_to_remove: opts.remove?.vhost ?? [],
      routes: [{
        match: { prefix: "/" },
        route: { cluster: "c" },
        request_headers_to_add: opts.route ?? [],
        request_headers_to_remove: opts.remove?.route ?? [],
      }],
    }],
  });
}

function applied(t: ReturnType<typeof table>, headers: HeaderMap = {}): HeaderMap {
  const action = route(t)!.action as ForwardResolution;
  applyHeaderMutation(action.requestHeaders, headers);
  return headers;
}

describe("header mutation", () => {
  it("appends route → virtual host → configuration by default", () => {
    const t = levels({
      route: [add("x-a", "route")],
      vhost: [add("x-a", "vhost")],
      config: [add("x-a", "config")],
    });
    expect(applied(t)).toEqual({ "x-a": ["route", "vhost", "config"] });
  });

  it("lets the configuration's overwrite win by default, the route's with most_specific_header_mutations_wins", () => {
    const opts = {
      route: [add("x-a", "route", { append_action: "OVERWRITE_IF_EXISTS_OR_ADD" })],
      config: [add("x-a", "config", { append_action: "OVERWRITE_IF_EXISTS_OR_ADD" })],
    };
    expect(applied(levels(opts))).toEqual({ "x-a": "config" });
    expect(applied(levels({ ...opts, mostSpecificWins: true }))).toEqual({ "x-a": "route" });
  });

  it("APPEND_IF_EXISTS_OR_ADD (default) appends to existing values without mutating the old array", () => {
    const existing = ["1", "2"];
    const headers = applied(levels({ route: [add("x-a", "3")] }), { "x-a": existing });
    expect(headers["x-a"]).toEqual(["1", "2", "3"]);
    expect(existing).toEqual(["1", "2"]);
    expect(applied(levels({ route: [add("x-a", "2")] }), { "x-a": "1" })).toEqual({ "x-a": ["1", "2"] });
  });

  it("ADD_IF_ABSENT adds only when missing", () => {
    const t = levels({ route: [add("x-a", "new", { append_action: "ADD_IF_ABSENT" })] });
    expect(applied(t, { "x-a": "old" })).toEqual({ "x-a": "old" });
    expect(applied(t)).toEqual({ "x-a": "new" });
  });

  it("OVERWRITE_IF_EXISTS_OR_ADD always sets", () => {
    const t = levels({ route: [add("x-a", "new", { append_action: "OVERWRITE_IF_EXISTS_OR_ADD" })] });
    expect(applied(t, { "x-a": ["o1", "o2"] })).toEqual({ "x-a": "new" });
    expect(applied(t)).toEqual({ "x-a": "new" });
  });

  it("OVERWRITE_IF_EXISTS sets only when present", () => {
    const t = levels({ route: [add("x-a", "new", { append_action: "OVERWRITE_IF_EXISTS" })] });
    expect(applied(t, { "x-a": "old" })).toEqual({ "x-a": "new" });
    expect(applied(t)).toEqual({});
  });

  it("legacy append: false overwrites, true appends", () => {
    expect(applied(levels({ route: [add("x-a", "n", { append: false })] }), { "x-a": "o" })).toEqual({
      "x-a": "n",
    });
    expect(applied(levels({ route: [add("x-a", "n", { append: true })] }), { "x-a": "o" })).toEqual({
      "x-a": ["o", "n"],
    });
  });

  it("skips empty values unless keep_empty_value", () => {
    expect(applied(levels({ route: [add("x-a", "")] }))).toEqual({});
    expect(applied(levels({ route: [add("x-a", "", { keep_empty_value: true })] }))).toEqual({ "x-a": "" });
  });

  it("removes before adding at each level, names case-insensitively", () => {
    const t = levels({
      route: [add("X-Keep", "v")],
      remove: { route: ["X-Drop", "x-keep"], config: ["x-route-added"] },
    });
    expect(applied(t, { "x-drop": "1", "x-keep": "old", "x-route-added": "z" })).toEqual({ "x-keep": "v" });
  });

  it("turns %% into a literal % and leaves other % alone", () => {
    expect(applied(levels({ route: [add("x-a", "100%% sure, 50% off, %2F")] }))).toEqual({
      "x-a": "100% sure, 50% off, %2F",
    });
  });

  it("applies weighted-cluster headers before the route's", () => {
    const t = table({
      virtual_hosts: [{
        name: "v",
        domains: ["*"],
        routes: [{
          match: { prefix: "/" },
          request_headers_to_add: [add("x-a", "route")],
          response_headers_to_add: [add("x-r", "route")],
          route: {
            weighted_clusters: {
              clusters: [{
                name: "a",
                weight: 1,
                request_headers_to_add: [add("x-a", "cluster")],
                response_headers_to_add: [add("x-r", "cluster")],
              }],
            },
          },
        }],
      }],
    });
    const action = route(t)!.action as ForwardResolution;
    const req: HeaderMap = {};
    const res: HeaderMap = {};
    applyHeaderMutation(action.requestHeaders, req);
    applyHeaderMutation(action.responseHeaders, res);
    expect(req).toEqual({ "x-a": ["cluster", "route"] });
    expect(res).toEqual({ "x-r": ["cluster", "route"] });
  });

  it("gives direct responses and redirects the response headers of every level", () => {
    const t = table({
      response_headers_to_add: [add("x-config", "1")],
      virtual_hosts: [{
        name: "v",
        domains: ["*"],
        response_headers_to_add: [add("x-vhost", "1")],
        routes: [{
          match: { prefix: "/" },
          direct_response: { status: 200 },
          response_headers_to_add: [add("x-route", "1")],
        }],
      }],
    });
    const headers: HeaderMap = {};
    applyHeaderMutation(route(t)!.action.responseHeaders, headers);
    expect(headers).toEqual({ "x-route": "1", "x-vhost": "1", "x-config": "1" });
  });
});
