// VirtualService validation: Istio's samples pass as-is; each rule Istio enforces fails with file, line and field.
import { describe, expect, it } from "vitest";
import { checkConfigFile } from "../../../control/config/validate.ts";
import { bookinfo, errorsOf, problemsOf, virtualService } from "./helpers.ts";

const ROUTE = "    route:\n    - destination:\n        host: reviews\n";

describe("VirtualService validation", () => {
  it.each([
    "networking/virtual-service-all-v1.yaml",
    "networking/virtual-service-reviews-50-v3.yaml",
    "networking/virtual-service-reviews-test-v2.yaml",
    "networking/virtual-service-ratings-test-delay.yaml",
    "networking/bookinfo-gateway.yaml",
    "networking/egress-rule-google-apis.yaml",
  ])("accepts Istio's sample %s as-is", (path) => {
    const { file, text } = bookinfo(path);
    const checked = checkConfigFile(text, file);
    expect(checked.problems).toEqual([]);
    expect(checked.objects.length).toBeGreaterThan(0);
  });

  it("accepts the older v1alpha3 delay sample that used the deprecated `percent`, with a warning", () => {
    const yaml = virtualService(
      "  hosts:\n  - ratings\n  http:\n  - fault:\n      delay:\n        percent: 100\n        fixedDelay: 7s\n    route:\n    - destination:\n        host: ratings\n        subset: v1\n",
      "networking.istio.io/v1alpha3",
    );
    expect(problemsOf(yaml)).toEqual([
      `11 spec.http[0].fault.delay.percent: warning: "percent" is deprecated, use "percentage: {value: …}"`,
    ]);
  });

  it("reports weights outside 0..100 on the weight's line, and weights that do not add up to 100", () => {
    const yaml = virtualService(
      "  hosts:\n  - reviews\n  http:\n  - route:\n    - destination:\n        host: reviews\n        subset: v1\n      weight: 150\n    - destination:\n        host: reviews\n        subset: v2\n      weight: 20\n",
    );
    expect(problemsOf(yaml)).toEqual([
      "9 spec.http[0].route: warning: destination weights add up to 170, not 100; traffic is split in proportion to them",
      "13 spec.http[0].route[0].weight: must be 0..100, got 150",
    ]);
    const zero = virtualService(
      "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: a}\n    - destination: {host: b}\n",
    );
    expect(errorsOf(zero)).toEqual([
      "8 spec.http[0].route: total destination weight = 0: give the destinations weights",
    ]);
  });

  it("requires hosts, a rule list, and destination hosts", () => {
    expect(errorsOf(virtualService("  http:\n  - route:\n    - destination:\n        subset: v1\n"))).toEqual(
      [
        "5 spec.hosts: at least one host is required",
        "8 spec.http[0].route[0].destination.host: destination host is required",
      ],
    );
    expect(errorsOf(virtualService("  hosts: [reviews]\n"))).toEqual([
      "5 spec: http, tcp or tls must be provided in virtual service",
    ]);
    expect(errorsOf(virtualService("  hosts: [reviews]\n  http:\n  - match: [{uri: {prefix: /}}]\n")))
      .toEqual([
        "8 spec.http[0]: HTTP route, redirect or directResponse is required",
      ]);
  });

  it("rejects unknown fields inside the spec, naming the field and a likely meaning", () => {
    const yaml = virtualService(
      `  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n        host: reviews\n      wieght: 100\n    timout: 5s\n`,
    );
    expect(errorsOf(yaml)).toEqual([
      `11 spec.http[0].route[0].wieght: unknown field "wieght" (did you mean "weight"?)`,
      `12 spec.http[0].timout: unknown field "timout" (did you mean "timeout"?)`,
    ]);
    expect(
      errorsOf(
        virtualService(
          "  hosts: [reviews]\n  tcpRoutes: []\n  http:\n  - route: [{destination: {host: r}}]\n",
        ),
      )[0],
    ).toBe(
      `7 spec.tcpRoutes: unknown field "tcpRoutes"`,
    );
  });

  it("keeps route, redirect and directResponse exclusive", () => {
    const yaml = virtualService(
      `  hosts: [reviews]\n  http:\n  - redirect: {uri: /v2}\n    rewrite: {uri: /x}\n${ROUTE}  - directResponse: {status: 503}\n    redirect: {authority: x}\n`,
    );
    expect(errorsOf(yaml)).toEqual([
      "8 spec.http[0].redirect: HTTP route cannot contain both route and redirect",
      "8 spec.http[0].redirect: HTTP route rule cannot contain both rewrite and redirect",
      "13 spec.http[1].directResponse: HTTP route cannot contain directResponse together with route or redirect",
    ]);
  });

  it("checks durations, retries and timeouts", () => {
    const yaml = virtualService(
      `  hosts: [reviews]\n  http:\n  - timeout: 10\n    retries: {attempts: 3, perTryTimeout: 0.5ms, retryOn: "5xx,bogus,503"}\n${ROUTE}  - timeout: 1.5s\n    retries: {attempts: 0, perTryTimeout: 2s}\n${ROUTE}`,
    );
    expect(errorsOf(yaml)).toEqual([
      `8 spec.http[0].timeout: invalid duration 10: write a number with a unit, like "1.5s", "100ms" or "1m"`,
      `9 spec.http[0].retries.perTryTimeout: duration must be at least 1ms, got "0.5ms"`,
      `9 spec.http[0].retries.retryOn: "bogus" is not a valid retryOn policy`,
      "14 spec.http[1].retries: http retry policy configured when attempts are set to 0 (disabled)",
    ]);
  });

  it("checks fault injection: percentages, status codes, one of delay or abort", () => {
    const yaml = virtualService(
      `  hosts: [reviews]\n  http:\n  - fault:\n      abort: {httpStatus: 700, percentage: {value: 101}}\n      delay: {fixedDelay: 5s, exponentialDelay: 1s}\n${ROUTE}  - fault: {}\n${ROUTE}  - fault: {abort: {grpcStatus: NOPE}}\n${ROUTE}`,
    );
    expect(errorsOf(yaml)).toEqual([
      "9 spec.http[0].fault.abort.httpStatus: HTTP status 700 is not in range 200..599",
      "9 spec.http[0].fault.abort.percentage.value: percentage must be 0 or in range 0.0001..100, got 101",
      "10 spec.http[0].fault.delay.exponentialDelay: only one of fixedDelay, exponentialDelay may be set (found fixedDelay and exponentialDelay)",
      "10 spec.http[0].fault.delay.exponentialDelay: exponentialDelay is not supported",
      "14 spec.http[1].fault: HTTP fault injection must have an abort and/or a delay",
      `18 spec.http[2].fault.abort.grpcStatus: gRPC status "NOPE" is not supported; use a code name such as "UNAVAILABLE"`,
    ]);
  });

  it("checks matches: string match oneofs, regexes, header names, ports, gateways, source namespaces", () => {
    const yaml = virtualService(
      `  hosts: [reviews]\n  http:\n  - match:\n    - uri: {prefix: /a, exact: /b}\n      method: {regex: "(?=GET)"}\n      headers:\n        "bad header": {exact: x}\n        end-user: {}\n      port: 70000\n      sourceNamespace: Not_A_Label\n      gateways: ["a/b/c"]\n      ignoreUriCase: "yes"\n${ROUTE}`,
    );
    expect(errorsOf(yaml)).toEqual([
      "9 spec.http[0].match[0].uri.prefix: only one of exact, prefix, regex may be set (found exact and prefix)",
      `10 spec.http[0].match[0].method.regex: invalid regex "(?=GET)": RE2 (used by Istio and Envoy) has no lookahead or lookbehind`,
      '12 spec.http[0].match[0].headers["bad header"]: header name "bad header" is not a valid header name',
      "13 spec.http[0].match[0].headers.end-user: string match needs one of exact, prefix or regex",
      "14 spec.http[0].match[0].port: port number 70000 must be in the range 1..65535",
      `15 spec.http[0].match[0].sourceNamespace: sourceNamespace "Not_A_Label" is invalid`,
      `16 spec.http[0].match[0].gateways[0]: invalid gateway reference "a/b/c": use <namespace>/<name>`,
      `17 spec.http[0].match[0].ignoreUriCase: must be true or false, got "yes"`,
    ]);
  });

  it("checks rewrites, redirects, mirrors, CORS and header operations", () => {
    const yaml = virtualService(
      [
        "  hosts: [reviews]",
        "  http:",
        "  - rewrite: {uri: /a, uriRegexRewrite: {match: '^/x', rewrite: /y}}",
        "    mirror: {host: shadow}",
        "    mirrors: [{destination: {host: shadow2}}]",
        "    mirrorPercentage: {value: 120}",
        "    corsPolicy: {allowMethods: [GET, FETCH], maxAge: 1m}",
        "    headers: {request: {set: {':path': /x, host: ok}}, response: {remove: [host]}}",
        ROUTE.trimEnd(),
        "  - redirect: {redirectCode: 200, scheme: ftp}",
        "",
      ].join("\n"),
    );
    expect(errorsOf(yaml)).toEqual([
      "8 spec.http[0].rewrite: rewrite may only contain one of uri or uriRegexRewrite",
      "10 spec.http[0].mirrors: HTTP route cannot contain both mirror and mirrors",
      "11 spec.http[0].mirrorPercentage.value: must be 0..100, got 120",
      `12 spec.http[0].corsPolicy.allowMethods[1]: "FETCH" is not a supported HTTP method`,
      `13 spec.http[0].headers.request.set[":path"]: invalid header ":path": header cannot have ":" prefix`,
      `13 spec.http[0].headers.response.remove[0]: invalid header "host": cannot set Host header here`,
      "17 spec.http[1].redirect.redirectCode: 200 is not a valid redirect code, must be 3xx",
      `17 spec.http[1].redirect.scheme: invalid redirect scheme "ftp", must be "http" or "https"`,
    ]);
  });

  it("checks directResponse status and the mesh wildcard rule", () => {
    expect(errorsOf(virtualService("  hosts: [reviews]\n  http:\n  - directResponse: {status: 99}\n")))
      .toEqual([
        "8 spec.http[0].directResponse.status: HTTP status 99 is not in range 200..599",
      ]);
    expect(errorsOf(virtualService(`  hosts: ["*"]\n  http:\n  - route: [{destination: {host: r}}]\n`)))
      .toEqual([
        `6 spec.hosts[0]: wildcard host "*" is not allowed for virtual services bound to the mesh gateway`,
      ]);
    expect(
      errorsOf(
        virtualService(
          `  hosts: ["*", "bad_host!"]\n  gateways: [gw]\n  http:\n  - route: [{destination: {host: r}}]\n`,
        ),
      ),
    ).toEqual([
      `6 spec.hosts[1]: host name "bad_host!" invalid (label "bad_host!" invalid)`,
    ]);
  });

  it("requires sniHosts on tls routes, covered by the VirtualService's hosts, and a route on tcp routes", () => {
    const yaml = virtualService(
      '  hosts: ["*.example.com"]\n  tls:\n  - match:\n    - port: 443\n    - sniHosts: [other.org]\n    route: [{destination: {host: a}}]\n  tcp:\n  - match: [{destinationSubnets: [10.0.0.0/33]}]\n',
    );
    expect(errorsOf(yaml)).toEqual([
      "9 spec.tls[0].match[0].sniHosts: TLS match must have at least one SNI host",
      `10 spec.tls[0].match[1].sniHosts[0]: SNI host "other.org" is not a compatible subset of any of the virtual service hosts: [*.example.com]`,
      "13 spec.tcp[0].route: TCP route is required",
      `13 spec.tcp[0].match[0].destinationSubnets[0]: "10.0.0.0/33" is not an IP address or CIDR block`,
    ]);
  });

  it("warns about rules no request can reach (IST0130)", () => {
    const yaml = virtualService(
      `  hosts: [reviews]\n  http:\n${
        ROUTE.replace("    route", "  - route")
      }  - match: [{uri: {prefix: /}}]\n${ROUTE}`,
    );
    const checked = checkConfigFile(yaml, "t.yaml");
    expect(checked.problems.map((p) => [p.line, p.code, p.message])).toEqual([
      [11, "IST0130", "VirtualService rule #1 not used (rule #0 before it matches every request)"],
    ]);
  });
});
