// Kinds and versions Weft accepts, ignores or rejects; Gateway, ServiceEntry, WorkloadEntry, Sidecar and the
// Kubernetes kinds' validation; metadata checks.
import { describe, expect, it } from "vitest";
import { classifyKind } from "../../../control/config/kinds.ts";
import { checkConfigFile } from "../../../control/config/validate.ts";
import { bookinfo, errorsOf, problemsOf } from "./helpers.ts";

const doc = (apiVersion: string, kind: string, rest: string, name = "x") =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n${rest}`;
const NET = "networking.istio.io/v1";

describe("kinds", () => {
  it("accepts bookinfo.yaml as-is: Services kept, Deployments kept for analysis, ServiceAccounts passed over", () => {
    const { file, text } = bookinfo("platform/kube/bookinfo.yaml");
    const checked = checkConfigFile(text, file);
    expect(checked.problems).toEqual([]);
    expect(checked.objects.filter((o) => o.kind === "Service").map((o) => o.name)).toEqual([
      "details",
      "ratings",
      "reviews",
      "productpage",
    ]);
    expect(checked.objects.filter((o) => o.kind === "Deployment")).toHaveLength(6);
    expect(checked.objects.some((o) => o.kind === "ServiceAccount")).toBe(false);
  });

  it("accepts the networking kinds at v1, v1beta1 and v1alpha3, and rejects other versions", () => {
    for (const v of ["v1", "v1beta1", "v1alpha3"]) {
      expect(classifyKind(`networking.istio.io/${v}`, "Sidecar").status).toBe("known");
    }
    expect(classifyKind("security.istio.io/v1", "AuthorizationPolicy")).toMatchObject({
      status: "known",
      info: { disposition: "stored" },
    });
    expect(classifyKind("discovery.k8s.io/v1", "EndpointSlice").status).toBe("known");
    expect(errorsOf(doc("networking.istio.io/v2", "VirtualService", "spec: {}\n"))).toEqual([
      `1 apiVersion: unsupported apiVersion "networking.istio.io/v2" for VirtualService; use networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3`,
    ]);
  });

  it("rejects unknown Istio kinds (with a suggestion), warns about other unknown kinds, ignores sample clutter", () => {
    expect(errorsOf(doc(NET, "VirtualServce", "spec: {}\n"))).toEqual([
      `2 kind: unknown kind "VirtualServce" in networking.istio.io (did you mean "VirtualService"?)`,
    ]);
    expect(problemsOf(doc("example.com/v1", "Widget", ""))).toEqual([
      "2 kind: warning: Widget (example.com/v1) is not used by Weft; ignored",
    ]);
    expect(problemsOf(doc(NET, "EnvoyFilter", "spec: {}\n"))).toEqual([
      "2 kind: warning: EnvoyFilter is not supported by Weft; ignored",
    ]);
    const clutter = [
      doc("v1", "ConfigMap", "data: {a: b}\n"),
      doc("v1", "ServiceAccount", ""),
      doc("rbac.authorization.k8s.io/v1", "Role", "rules: []\n"),
    ].join("---\n");
    expect(checkConfigFile(clutter, "c.yaml")).toMatchObject({ objects: [], problems: [] });
  });

  it("stores security policies without validating them deeply", () => {
    const policy = doc(
      "security.istio.io/v1",
      "PeerAuthentication",
      "  namespace: istio-system\nspec:\n  mtls: {mode: STRICT}\n",
      "default",
    );
    const checked = checkConfigFile(policy, "pa.yaml");
    expect(checked.problems).toEqual([]);
    expect(checked.objects.map((o) => [o.kind, o.namespace, o.name, o.spec])).toEqual([
      ["PeerAuthentication", "istio-system", "default", { mtls: { mode: "STRICT" } }],
    ]);
  });

  it("rejects unknown top-level fields of Istio kinds", () => {
    expect(errorsOf(doc(NET, "DestinationRule", "specs:\n  host: reviews\n"))).toEqual([
      "1 spec: spec is required",
      "1 spec.host: host is required",
      `5 specs: unknown field "specs" (did you mean "spec"?)`,
    ]);
  });

  it("checks metadata: name required and well-formed, label values strings", () => {
    expect(
      errorsOf(
        `apiVersion: ${NET}\nkind: Gateway\nmetadata:\n  labels: {version: 2}\nspec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}\n`,
      ),
    ).toEqual([
      "3 metadata.name: metadata.name is required",
      "4 metadata.labels.version: label values must be strings, got 2 (quote it)",
    ]);
    expect(errorsOf(doc("v1", "Service", "spec: {ports: [{port: 80}]}\n", "Bad_Name"))).toEqual([
      `4 metadata.name: invalid name "Bad_Name": use lower-case letters, digits, '-' and '.'`,
    ]);
  });
});

describe("Gateway, ServiceEntry, WorkloadEntry, Sidecar", () => {
  it("checks gateway servers: port, protocol, hosts, TLS for HTTPS, unique port names", () => {
    const yaml = doc(
      NET,
      "Gateway",
      'spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ["bookinfo/*.example.com"]\n  - port: {number: 80, name: https, protocol: HTTPX}\n    hosts: []\n  - port: {number: 8080, name: web, protocol: HTTP}\n    hosts: ["a/b/c"]\n    tls: {mode: SIMPLE}\n  - port: {number: 8443, name: tls, protocol: HTTPS}\n    hosts: ["*"]\n    tls: {mode: SIMPLE, credentialName: bookinfo-cert}\n',
    );
    expect(errorsOf(yaml)).toEqual([
      "8 spec.servers[0]: server must have TLS settings for HTTPS/TLS protocols",
      `10 spec.servers[1].port.name: port names in servers must be unique: duplicate name "https"`,
      `10 spec.servers[1].port.protocol: invalid protocol "HTTPX", supported protocols are HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP, TLS`,
      "11 spec.servers[1].hosts: server config must contain at least one host",
      `13 spec.servers[2].hosts[0]: host "a/b/c" must be of the form namespace/dnsName`,
      "14 spec.servers[2].tls: server cannot have TLS settings for plain text HTTP ports (only httpsRedirect)",
      "14 spec.servers[2].tls.serverCertificate: SIMPLE TLS requires a server certificate (or credentialName)",
      "14 spec.servers[2].tls.privateKey: SIMPLE TLS requires a private key (or credentialName)",
    ]);
  });

  it("checks service entries: hosts, ports, resolution and endpoints", () => {
    const yaml = doc(
      NET,
      "ServiceEntry",
      'spec:\n  hosts: ["*", db]\n  ports:\n  - {number: 3306, name: mysql, protocol: TCP}\n  - {number: 3306, name: mysql, protocol: SQL}\n  resolution: DNS\n  location: MESH_OUTSIDE\n  endpoints:\n  - address: 10.0.0.1\n    ports: {other: 3306}\n',
    );
    expect(errorsOf(yaml)).toEqual([
      "6 spec.hosts: multiple hosts provided with non-HTTP, non-TLS ports",
      `6 spec.hosts[0]: invalid host "*"`,
      "9 spec.ports[1].number: service entry port 3306 already defined",
      `9 spec.ports[1].name: service entry port name "mysql" already defined`,
      `9 spec.ports[1].protocol: unsupported protocol "SQL": use HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TCP, TLS, MONGO, REDIS, MYSQL or UDP`,
      `11 spec.location: must be one of MESH_EXTERNAL, MESH_INTERNAL, got "MESH_OUTSIDE"`,
      `14 spec.endpoints[0].ports.other: endpoint port "other" is not defined by the service entry`,
    ]);
    const noFqdn = doc(
      NET,
      "ServiceEntry",
      'spec:\n  hosts: ["*.example.com"]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: DNS\n',
    );
    expect(errorsOf(noFqdn)).toEqual([
      "6 spec.hosts[0]: hosts must be FQDN if no endpoints are provided for resolution mode DNS",
    ]);
  });

  it("requires a workload entry address and sidecar egress hosts in namespace/host form", () => {
    expect(errorsOf(doc(NET, "WorkloadEntry", "spec:\n  labels: {app: vm}\n  ports: {http: 0}\n"))).toEqual([
      "5 spec.address: address is required",
      "7 spec.ports.http: port number 0 must be in the range 1..65535",
    ]);
    const sidecar = doc(
      NET,
      "Sidecar",
      'spec:\n  workloadSelector: {labels: {app: reviews}}\n  egress:\n  - hosts: ["./*", "istio-system/*", "reviews.default.svc.cluster.local"]\n  - hosts: []\n    port: {number: 9080, protocol: HTTP, name: http}\n',
    );
    expect(errorsOf(sidecar)).toEqual([
      "8 spec.egress[0]: the egress listener with no port must be the last listener",
      `8 spec.egress[0].hosts[2]: egress host "reviews.default.svc.cluster.local" must be of the form namespace/dnsName (e.g. "./*" or "istio-system/*")`,
      "9 spec.egress[1].hosts: egress listener must contain at least one host",
    ]);
    expect(errorsOf(doc(NET, "Sidecar", "spec: {workloadSelector: {labels: {app: x}}}\n"))).toEqual([
      "5 spec: sidecar: empty configuration provided",
    ]);
  });
});

describe("Kubernetes kinds", () => {
  it("checks Service ports and selectors", () => {
    const yaml = doc(
      "v1",
      "Service",
      "spec:\n  selector: {app: reviews}\n  ports:\n  - port: 9080\n    targetPort: Not_A_Name\n  - port: 70000\n    name: grpc\n",
    );
    expect(errorsOf(yaml)).toEqual([
      "8 spec.ports[0].name: port name is required when a service has more than one port",
      `9 spec.ports[0].targetPort: targetPort must be a port number or a container port name, got "Not_A_Name"`,
      "10 spec.ports[1].port: port number 70000 must be in the range 1..65535",
    ]);
  });

  it("rejects a Service that repeats a port number and protocol, as Kubernetes does (53/TCP and 53/UDP may share)", () => {
    const yaml = doc(
      "v1",
      "Service",
      "spec:\n  ports:\n  - {port: 53, name: dns, protocol: UDP}\n  - {port: 53, name: dns-tcp}\n" +
        "  - {port: 53, name: dns-tcp-2, protocol: TCP}\n",
    );
    expect(errorsOf(yaml)).toEqual([
      "9 spec.ports[2].port: duplicate port 53/TCP: spec.ports[1] has it already",
    ]);
  });

  it("checks EndpointSlices, Endpoints and Pods", () => {
    const slice =
      "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: reviews-abc\n  labels: {kubernetes.io/service-name: reviews}\naddressType: IPv4\nendpoints:\n- addresses: [10.1.0.7, not-an-ip]\n- conditions: {ready: true}\nports: [{name: http, port: 9080}]\n";
    expect(problemsOf(slice)).toEqual([
      `8 endpoints[0].addresses[1]: "not-an-ip" is not an IP address`,
      "9 endpoints[1].addresses: an endpoint needs at least one address",
    ]);
    expect(problemsOf(slice.replace("  labels: {kubernetes.io/service-name: reviews}\n", ""))[0]).toBe(
      "3 metadata.labels: warning: no kubernetes.io/service-name label: the slice belongs to no service",
    );
    const endpoints = doc(
      "v1",
      "Endpoints",
      "subsets:\n- addresses: [{ip: 10.0.0.1}, {hostname: h}]\n  ports: [{port: 9080}]\n",
    );
    expect(errorsOf(endpoints)).toEqual([`6 subsets[0].addresses[1].ip: address needs a valid ip, got null`]);
    const pod = doc(
      "v1",
      "Pod",
      "  labels: {app: reviews, version: v1}\nspec: {serviceAccountName: bookinfo-reviews}\nstatus: {podIP: 10.1.0.7}\n",
    );
    expect(problemsOf(pod)).toEqual([]);
    expect(problemsOf(doc("v1", "Pod", "  annotations: {weft.io/pod-ip: 300.1.1.1}\nspec: {}\n"))).toEqual([
      `5 metadata.annotations["weft.io/pod-ip"]: "300.1.1.1" is not an IP address`,
    ]);
    expect(problemsOf(doc("v1", "Pod", "spec: {}\n"))).toEqual([
      "1 status: warning: pod has no IP (status.podIP or the weft.io/pod-ip annotation): it serves no traffic",
    ]);
  });
});
