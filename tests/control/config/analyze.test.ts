// analyze: references between objects, with Istio's message codes, placed on the line of the field.
import { describe, expect, it } from "vitest";
import { analyze } from "../../../control/config/analyze.ts";
import { analyzeFiles } from "../../../control/config/analyze-files.ts";
import type { ConfigFile } from "../../../control/config/config-store.ts";
import { createConfigStore } from "../../../control/config/config-store.ts";
import type { ConfigProblem } from "../../../control/config/problem.ts";
import type { Service } from "../../../control/model/types.ts";
import { bookinfo } from "./helpers.ts";

const PLATFORM = bookinfo("platform/kube/bookinfo.yaml");
const RULES = bookinfo("networking/destination-rule-all.yaml");
const ALL_V1 = bookinfo("networking/virtual-service-all-v1.yaml");

const show = (p: ConfigProblem) =>
  `${p.code} ${p.severity} ${p.kind} ${p.name} ${p.file}:${p.line} ${p.message}`;
const file = (name: string, text: string): ConfigFile => ({ file: name, text });

describe("analyzeFiles", () => {
  it("finds only the real gaps in Bookinfo: subsets whose versions no Deployment runs", () => {
    expect(analyzeFiles([PLATFORM, RULES, ALL_V1]).map(show)).toEqual([
      "IST0127 warning DestinationRule ratings networking/destination-rule-all.yaml:40 No matching workloads for this resource with the following labels: version=v2",
      "IST0127 warning DestinationRule ratings networking/destination-rule-all.yaml:43 No matching workloads for this resource with the following labels: version=v2-mysql",
      "IST0127 warning DestinationRule ratings networking/destination-rule-all.yaml:46 No matching workloads for this resource with the following labels: version=v2-mysql-vm",
      "IST0127 warning DestinationRule details networking/destination-rule-all.yaml:60 No matching workloads for this resource with the following labels: version=v2",
    ]);
  });

  it("reports a destination host that names no service, and a subset no DestinationRule defines (IST0101)", () => {
    const typo = file(
      "reviews.yaml",
      ALL_V1.text.split("---\n")[1].replace("host: reviews", "host: reviewz"),
    );
    const v4 = file(
      "v4.yaml",
      bookinfo("networking/virtual-service-reviews-50-v3.yaml").text.replace("subset: v3", "subset: v4")
        .replace("name: reviews", "name: reviews-canary").replace(
          "- reviews",
          "- reviews.default.svc.cluster.local",
        ),
    );
    expect(analyzeFiles([PLATFORM, RULES, typo, v4]).filter((p) => p.code === "IST0101").map(show)).toEqual([
      `IST0101 error VirtualService reviews reviews.yaml:11 Referenced host not found: "reviewz"`,
      `IST0101 error VirtualService reviews-canary v4.yaml:16 Referenced host+subset in destinationrule not found: "reviews+v4"`,
    ]);
  });

  it("reports two VirtualServices for one host on the mesh gateway (IST0109), on each of them", () => {
    const second = file(
      "second.yaml",
      bookinfo("networking/virtual-service-reviews-test-v2.yaml").text.replace(
        "name: reviews",
        "name: reviews-jason",
      ),
    );
    const conflicts = analyzeFiles([PLATFORM, RULES, ALL_V1, second]).filter((p) => p.code === "IST0109");
    expect(conflicts.map((p) => `${p.name} ${p.file}:${p.line} ${p.field}`)).toEqual([
      "reviews networking/virtual-service-all-v1.yaml:20 spec.hosts[0]",
      "reviews-jason second.yaml:7 spec.hosts[0]",
    ]);
    expect(conflicts[0].message).toBe(
      "The VirtualServices default/reviews,default/reviews-jason associated with mesh gateway define the same host reviews.default.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.",
    );
  });

  it("reports a gateway nobody defined, and a gateway whose selector picks no workload", () => {
    const gateway = bookinfo("networking/bookinfo-gateway.yaml");
    expect(analyzeFiles([PLATFORM, gateway]).map(show)).toEqual([
      `IST0101 error Gateway bookinfo-gateway networking/bookinfo-gateway.yaml:8 Referenced selector not found: "istio=ingressgateway"`,
    ]);
    const ingress = file(
      "ingress.yaml",
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: istio-ingressgateway-1\n  namespace: istio-system\n  labels: {istio: ingressgateway}\nstatus: {podIP: 10.0.0.9}\n",
    );
    expect(analyzeFiles([PLATFORM, gateway, ingress])).toEqual([]);
    const typo = file("gw.yaml", gateway.text.replace("  - bookinfo-gateway", "  - bookinfo-gatewy"));
    expect(analyzeFiles([PLATFORM, typo, ingress]).map(show)).toEqual([
      `IST0101 error VirtualService bookinfo gw.yaml:26 Referenced gateway not found: "bookinfo-gatewy"`,
    ]);
  });

  it("asks for a port when the destination service has several (IST0112), and names hosts missing from the gateway (IST0132)", () => {
    const multi = file(
      "svc.yaml",
      "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  ports: [{name: http, port: 80}, {name: grpc, port: 9090}]\n",
    );
    const route = file(
      "vs.yaml",
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: api}\nspec:\n  hosts: [api.example.com]\n  gateways: [gw]\n  http:\n  - route:\n    - destination: {host: api}\n",
    );
    const gw = file(
      "gw.yaml",
      'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*.other.org"]}]\n',
    );
    expect(analyzeFiles([multi, route, gw]).map(show)).toEqual([
      `IST0112 error VirtualService api vs.yaml:9 This VirtualService routes to a service "api" that exposes multiple ports [80 9090]. Specifying a port in the destination is required to disambiguate.`,
      "IST0132 warning VirtualService api vs.yaml:5 one or more host [api.example.com] defined in VirtualService default/api not found in Gateway default/gw.",
    ]);
  });

  it("marks validation problems IST0106 (errors) and IST0133 (warnings)", () => {
    const bad = file(
      "bad.yaml",
      bookinfo("networking/virtual-service-reviews-50-v3.yaml").text.replace(
        "weight: 50\n    - ",
        "weight: 40\n    - ",
      ),
    );
    const schema = analyzeFiles([PLATFORM, RULES, bad]).filter((p) =>
      p.code === "IST0106" || p.code === "IST0133"
    );
    expect(schema.map((p) => `${p.code} ${p.field}: ${p.message}`)).toEqual([
      "IST0133 spec.http[0].route: destination weights add up to 90, not 100; traffic is split in proportion to them",
    ]);
  });
});

describe("analyze", () => {
  it("works on a store snapshot and counts hosts known to other registries", () => {
    const store = createConfigStore();
    store.replaceAll([RULES, ALL_V1]);
    expect(analyze(store.snapshot()).map((p) => `${p.line} ${p.message}`)).toEqual([
      `40 Referenced host not found: "details"`, // without a locator: the object's line
      `1 Referenced host not found: "productpage"`,
      `27 Referenced host not found: "ratings"`,
      `14 Referenced host not found: "reviews"`,
    ]);
    const registered: Service[] = ["productpage", "reviews", "ratings", "details"].map((name) => ({
      hostname: `${name}.default.svc.cluster.local`,
      namespace: "default",
      ports: [{ name: "http", port: 9080, protocol: "HTTP", targetPort: 9080 }],
      resolution: "STATIC",
      external: false,
      registry: "registration",
    }));
    expect(analyze(store.snapshot(), registered)).toEqual([]);
  });
});
