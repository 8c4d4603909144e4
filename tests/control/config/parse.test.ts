// Parsing multi-document YAML into ConfigObjects: sources, namespaces, Lists, syntax errors, field → line.
import { describe, expect, it } from "vitest";
import { parseConfigDocuments, parseConfigFile } from "../../../control/config/parse.ts";
import { field, formatProblem, parseField } from "../../../control/config/problem.ts";
import { bookinfo } from "./helpers.ts";

describe("parseConfigFile", () => {
  it("reads Istio's bookinfo.yaml as-is, with the line of each object", () => {
    const { file, text } = bookinfo("platform/kube/bookinfo.yaml");
    const { objects, errors } = parseConfigFile(text, file);
    expect(errors).toEqual([]);
    expect(objects.map((o) => `${o.kind}/${o.name}`)).toEqual([
      "Service/details",
      "ServiceAccount/bookinfo-details",
      "Deployment/details-v1",
      "Service/ratings",
      "ServiceAccount/bookinfo-ratings",
      "Deployment/ratings-v1",
      "Service/reviews",
      "ServiceAccount/bookinfo-reviews",
      "Deployment/reviews-v1",
      "Deployment/reviews-v2",
      "Deployment/reviews-v3",
      "Service/productpage",
      "ServiceAccount/bookinfo-productpage",
      "Deployment/productpage-v1",
    ]);
    const details = objects[0];
    expect(details.source).toEqual({ file, line: 32 }); // after the licence header and comments
    expect(details.namespace).toBe("default");
    expect(details.labels).toEqual({ app: "details", service: "details" });
    expect(details.spec).toEqual({ ports: [{ port: 9080, name: "http" }], selector: { app: "details" } });
  });

  it("skips empty documents and expands kind: List", () => {
    const text = [
      "---",
      "# only a comment",
      "---",
      "apiVersion: v1",
      "kind: List",
      "items:",
      "- apiVersion: v1",
      "  kind: Service",
      "  metadata: {name: a, namespace: prod}",
      "  spec: {ports: [{port: 80}]}",
      "- apiVersion: v1",
      "  kind: Service",
      "  metadata: {name: b}",
      "---",
      "",
    ].join("\n");
    const { objects, errors } = parseConfigFile(text, "list.yaml");
    expect(errors).toEqual([]);
    expect(objects.map((o) => [o.name, o.namespace, o.source?.line])).toEqual([["a", "prod", 7], [
      "b",
      "default",
      11,
    ]]);
  });

  it("keeps the top-level body of EndpointSlice, Endpoints and Pod as the spec", () => {
    const text =
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s}\naddressType: IPv4\nendpoints: [{addresses: [10.0.0.1]}]\n";
    const [slice] = parseConfigFile(text, "s.yaml").objects;
    expect(slice.spec).toEqual({ addressType: "IPv4", endpoints: [{ addresses: ["10.0.0.1"] }] });
  });

  it("reports YAML syntax errors with file, line and column, and keeps the good documents", () => {
    const text =
      "apiVersion: v1\nkind: Service\nmetadata: {name: ok}\n---\nkind: Service\nmetadata:\n  name: [unclosed\n";
    const { objects, errors } = parseConfigFile(text, "bad.yaml");
    expect(objects.map((o) => o.name)).toEqual(["ok"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: "bad.yaml", severity: "error" });
    expect(errors[0].line).toBeGreaterThanOrEqual(7);
    expect(errors[0].column).toBeGreaterThan(0);
    expect(errors[0].message).toMatch(/^invalid YAML: /);
    expect(formatProblem(errors[0])).toMatch(/^bad\.yaml:\d+:\d+: invalid YAML: /);
  });

  it("reports duplicate keys and documents without apiVersion or kind", () => {
    const dup = parseConfigFile("apiVersion: v1\nkind: Service\nkind: Pod\n", "d.yaml").errors;
    expect(dup.map((e) => [e.line, e.message.startsWith("duplicate key")])).toEqual([[3, true]]);
    const noKind = parseConfigFile("apiVersion: v1\nmetadata: {name: x}\n", "k.yaml").errors;
    expect(noKind.map((e) => `${e.line} ${e.field}: ${e.message}`)).toEqual(["1 kind: kind is required"]);
    const scalar = parseConfigFile("just a string\n", "s.yaml").errors;
    expect(scalar[0].message).toMatch(/must be a mapping/);
  });
});

describe("field paths and lines", () => {
  it("formats and parses field paths, quoting keys that are not plain names", () => {
    const path = field(field(field(field("spec.http", 0), "match"), 0), "kubernetes.io/name");
    expect(path).toBe('spec.http[0].match[0]["kubernetes.io/name"]');
    expect(parseField(path)).toEqual(["spec", "http", 0, "match", 0, "kubernetes.io/name"]);
    expect(parseField("spec.http[0].match[0].headers.end-user.exact")).toEqual([
      "spec",
      "http",
      0,
      "match",
      0,
      "headers",
      "end-user",
      "exact",
    ]);
  });

  it("maps a field path to the line of that field, or of the deepest part that exists", () => {
    const { file, text } = bookinfo("networking/virtual-service-reviews-50-v3.yaml");
    const [doc] = parseConfigDocuments(text, file).documents;
    expect(doc.locate("spec.http[0].route[1].weight").line).toBe(17);
    expect(doc.locate("spec.http[0].route[1].destination.subset")).toEqual({ line: 16, column: 9 });
    expect(doc.locate("spec.http[0].route[1].destination.port.number").line).toBe(14); // no port: its destination
    expect(doc.locate("").line).toBe(1);
  });

  it("formats a problem as file:line: Kind ns/name: field: message", () => {
    expect(formatProblem({
      file: "bookinfo.yaml",
      line: 42,
      kind: "VirtualService",
      namespace: "default",
      name: "reviews",
      field: "spec.http[0].route[1].weight",
      message: "must be 0..100, got 150",
      severity: "error",
    })).toBe(
      "bookinfo.yaml:42: VirtualService default/reviews: spec.http[0].route[1].weight: must be 0..100, got 150",
    );
    expect(formatProblem({ file: "x.yaml", line: 3, field: "", message: "odd", severity: "warning" })).toBe(
      "x.yaml:3: warning: odd",
    );
  });
});
