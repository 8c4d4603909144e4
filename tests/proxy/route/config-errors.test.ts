import { describe, expect, it } from "vitest";
import type { JsonValue } from "@bufbuild/protobuf";
import { routes, table } from "./helpers.ts";
import { WeftError } from "../../../proxy/errors.ts";

function errorOf(fn: () => unknown): WeftError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WeftError) return err;
    throw err;
  }
  throw new Error("expected a config error");
}

const one = (route: JsonValue, vhost: Record<string, JsonValue> = {}) => () => routes([route], vhost);

describe("config errors name the field", () => {
  it("invalid safe_regex", () => {
    const err = errorOf(() =>
      table({
        virtual_hosts: [{
          name: "v",
          domains: ["*"],
          routes: [
            { match: { prefix: "/" }, route: { cluster: "a" } },
            { match: { prefix: "/" }, route: { cluster: "a" } },
            { match: { safe_regex: { regex: "(" } }, route: { cluster: "a" } },
          ],
        }],
      })
    );
    expect(err.code).toBe("config");
    expect(err.message).toMatch(
      /^virtual_hosts\[0\]\.routes\[2\]\.match\.safe_regex\.regex: invalid regex "\(": /,
    );
  });

  it("duplicate domains across and within virtual hosts", () => {
    const across = errorOf(() =>
      table({
        virtual_hosts: [
          { name: "a", domains: ["x.com"], routes: [] },
          { name: "b", domains: ["y.com", "X.com"], routes: [] },
        ],
      })
    );
    expect(across.message).toMatch(/^virtual_hosts\[1\]\.domains\[1\]: duplicate domain "X\.com"/);
    const within = errorOf(() => table({ virtual_hosts: [{ name: "a", domains: ["*", "*"], routes: [] }] }));
    expect(within.message).toMatch(/^virtual_hosts\[0\]\.domains\[1\]/);
  });

  it("header formatters are not supported yet", () => {
    const err = errorOf(one({
      match: { prefix: "/" },
      route: { cluster: "a" },
      request_headers_to_add: [{ header: { key: "x-a", value: "ok" } }, {
        header: { key: "x-ip", value: "%DOWNSTREAM_REMOTE_ADDRESS%" },
      }],
    }));
    expect(err.message).toMatch(
      /^virtual_hosts\[0\]\.routes\[0\]\.request_headers_to_add\[1\]\.header\.value: .*formatters .*not supported yet/,
    );
    expect(
      errorOf(one({
        match: { prefix: "/" },
        route: { cluster: "a" },
        response_headers_to_add: [{ header: { key: "x-a", value: "%REQ(x-b)%" } }],
      })).message,
    ).toMatch(/response_headers_to_add\[0\]\.header\.value: "%REQ"/);
  });

  it("header names that may not be modified, and append with append_action", () => {
    expect(
      errorOf(one({ match: { prefix: "/" }, route: { cluster: "a" }, request_headers_to_remove: [":path"] }))
        .message,
    )
      .toMatch(/request_headers_to_remove\[0\]: pseudo-header/);
    expect(
      errorOf(one({
        match: { prefix: "/" },
        route: { cluster: "a" },
        request_headers_to_add: [{
          header: { key: "x", value: "1" },
          append: true,
          append_action: "ADD_IF_ABSENT",
        }],
      })).message,
    ).toMatch(/request_headers_to_add\[0\]: append and append_action/);
  });

  it("weighted clusters", () => {
    expect(
      errorOf(
        one({
          match: { prefix: "/" },
          route: { weighted_clusters: { clusters: [{ name: "a", weight: 0 }] } },
        }),
      ).message,
    )
      .toMatch(/route\.weighted_clusters\.clusters: the sum of the weights must be greater than 0/);
    expect(
      errorOf(one({
        match: { prefix: "/" },
        route: { weighted_clusters: { total_weight: 100, clusters: [{ name: "a", weight: 30 }] } },
      })).message,
    ).toMatch(/route\.weighted_clusters\.total_weight: is 100 but the weights sum to 30/);
  });

  it("rewrites and redirects", () => {
    expect(
      errorOf(one({
        match: { prefix: "/" },
        route: {
          cluster: "a",
          prefix_rewrite: "/x",
          regex_rewrite: { pattern: { regex: "a" }, substitution: "b" },
        },
      })).message,
    ).toMatch(/routes\[0\]\.route: only one of prefix_rewrite and regex_rewrite/);
    expect(
      errorOf(one({
        match: { prefix: "/" },
        route: { cluster: "a", regex_rewrite: { pattern: { regex: "(a)" }, substitution: "\\2" } },
      })).message,
    ).toMatch(/route\.regex_rewrite\.substitution: \\2 refers to a group/);
    expect(
      errorOf(one({
        match: { prefix: "/" },
        redirect: { regex_rewrite: { pattern: { regex: "[" }, substitution: "" } },
      })).message,
    ).toMatch(/redirect\.regex_rewrite\.pattern\.regex: invalid regex/);
  });

  it("missing match or action, bad direct responses", () => {
    expect(errorOf(one({ route: { cluster: "a" } })).message).toMatch(
      /routes\[0\]\.match: a match is required/,
    );
    expect(errorOf(one({ match: { prefix: "/" } })).message).toMatch(
      /routes\[0\]: one of route, redirect or direct_response/,
    );
    expect(errorOf(one({ match: { prefix: "/" }, direct_response: { status: 100 } })).message)
      .toMatch(/direct_response\.status: must be in \[200, 600\)/);
    expect(
      errorOf(
        one({
          match: { prefix: "/" },
          direct_response: { status: 200, body: { inline_string: "x".repeat(5000) } },
        }),
      ).message,
    )
      .toMatch(/direct_response\.body: 5000 bytes exceeds/);
    expect(
      errorOf(one({ match: { prefix: "/" }, direct_response: { status: 200, body: { filename: "/etc/x" } } }))
        .message,
    )
      .toMatch(/direct_response\.body: filename bodies are not supported/);
  });

  it("unsupported routing features are rejected, never ignored", () => {
    expect(
      errorOf(one({ match: { prefix: "/", tls_context: { presented: true } }, route: { cluster: "a" } }))
        .message,
    )
      .toMatch(/match\.tls_context: .*not supported/);
    expect(errorOf(one({ match: { prefix: "/" }, route: { cluster_specifier_plugin: "p" } })).message)
      .toMatch(/routes\[0\]\.route: cluster specifier plugins are not supported/);
    expect(
      errorOf(
        one({
          match: { prefix: "/" },
          route: { cluster: "a", retry_policy: { retry_on: "envoy-ratelimited" } },
        }),
      ).message,
    )
      .toMatch(/route\.retry_policy\.retry_on: unknown or unsupported retry condition "envoy-ratelimited"/);
    expect(
      errorOf(
        one({ match: { prefix: "/" }, route: { cluster: "a" } }, { retry_policy: { retry_on: "5xx,what" } }),
      ).message,
    )
      .toMatch(/^virtual_hosts\[0\]\.retry_policy\.retry_on/);
    expect(errorOf(one({ match: { prefix: "/" }, route: { cluster: "a", metadata_match: {} } })).message)
      .toMatch(/route\.metadata_match/);
  });

  it("header matcher and path_separated_prefix validation", () => {
    expect(
      errorOf(one({
        match: { prefix: "/", headers: [{ name: "a", range_match: { start: "5", end: "5" } }] },
        route: { cluster: "a" },
      })).message,
    ).toMatch(/match\.headers\[0\]\.range_match: start must be less than end/);
    expect(
      errorOf(one({
        match: { prefix: "/", headers: [{ name: "a", string_match: { safe_regex: { regex: "(?<=x)y" } } }] },
        route: { cluster: "a" },
      })).message,
    ).toMatch(/match\.headers\[0\]\.string_match\.safe_regex\.regex: invalid regex/);
    expect(errorOf(one({ match: { path_separated_prefix: "/api/" }, route: { cluster: "a" } })).message)
      .toMatch(/match\.path_separated_prefix/);
  });
});
