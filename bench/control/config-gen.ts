// Writes the benchmark's config directory: Services, one EndpointSlice file per Service, Pods, DestinationRules, VirtualServices.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  endpointIp,
  hasSubsets,
  type MeshShape,
  namespaceOf,
  podName,
  SERVICE_PORT,
  serviceName,
  TARGET_PORT,
  versionOf,
} from "./layout.ts";

export interface GeneratedConfig {
  readonly dir: string;
  readonly files: number;
  readonly objects: number;
}

/** Replaces `dir` with a fresh config directory for `shape`. */
export function generateConfig(dir: string, shape: MeshShape): GeneratedConfig {
  rmSync(dir, { recursive: true, force: true });
  const byNs = new Map<string, { services: string[]; pods: string[]; networking: string[] }>();
  const docs = (ns: string) => {
    let entry = byNs.get(ns);
    if (!entry) byNs.set(ns, entry = { services: [], pods: [], networking: [] });
    return entry;
  };
  let files = 0;
  let objects = 0;
  for (let i = 0; i < shape.services; i++) {
    const ns = namespaceOf(i, shape);
    const d = docs(ns);
    d.services.push(serviceYaml(i, shape));
    objects += 1;
    const sliceDir = join(dir, "endpoints", ns);
    mkdirSync(sliceDir, { recursive: true });
    writeFileSync(endpointSliceFile(dir, i, shape), endpointSliceYaml(i, shape));
    files += 1;
    objects += 1;
    if (hasSubsets(i, shape)) {
      for (let j = 0; j < shape.endpointsPerService; j++) d.pods.push(podYaml(i, j, shape));
      d.networking.push(destinationRuleYaml(i, ns), virtualServiceYaml(i, ns));
      objects += shape.endpointsPerService + 2;
    }
  }
  for (const [ns, d] of byNs) {
    for (
      const [sub, list] of [["services", d.services], ["pods", d.pods], ["networking", d.networking]] as const
    ) {
      if (list.length === 0) continue;
      mkdirSync(join(dir, sub), { recursive: true });
      writeFileSync(join(dir, sub, `${ns}.yaml`), list.join("---\n"));
      files += 1;
    }
  }
  return { dir, files, objects };
}

export function endpointSliceFile(dir: string, i: number, shape: MeshShape): string {
  return join(dir, "endpoints", namespaceOf(i, shape), `${serviceName(i)}.yaml`);
}

function serviceYaml(i: number, shape: MeshShape): string {
  const name = serviceName(i);
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${namespaceOf(i, shape)}
spec:
  clusterIP: 10.96.${(i >> 8) & 255}.${i & 255}
  selector:
    app: ${name}
  ports:
    - name: http
      port: ${SERVICE_PORT}
      targetPort: ${TARGET_PORT}
`;
}

/** The Service's EndpointSlice; `replaced` swaps one endpoint's address (the benchmark's endpoint change). */
export function endpointSliceYaml(
  i: number,
  shape: MeshShape,
  replaced?: { readonly endpoint: number; readonly ip: string },
): string {
  const name = serviceName(i);
  const ns = namespaceOf(i, shape);
  const endpoints: string[] = [];
  for (let j = 0; j < shape.endpointsPerService; j++) {
    const ip = replaced?.endpoint === j ? replaced.ip : endpointIp(i, j, shape);
    const ref = hasSubsets(i, shape) && replaced?.endpoint !== j
      ? `\n    targetRef:\n      kind: Pod\n      name: ${podName(i, j)}\n      namespace: ${ns}`
      : "";
    endpoints.push(`  - addresses: ["${ip}"]\n    conditions:\n      ready: true${ref}`);
  }
  return `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-bench
  namespace: ${ns}
  labels:
    kubernetes.io/service-name: ${name}
addressType: IPv4
ports:
  - name: http
    port: ${TARGET_PORT}
    protocol: TCP
endpoints:
${endpoints.join("\n")}
`;
}

function podYaml(i: number, j: number, shape: MeshShape): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${podName(i, j)}
  namespace: ${namespaceOf(i, shape)}
  labels:
    app: ${serviceName(i)}
    version: ${versionOf(j)}
spec:
  serviceAccountName: ${serviceName(i)}
  containers:
    - name: app
      ports:
        - name: http
          containerPort: ${TARGET_PORT}
status:
  podIP: ${endpointIp(i, j, shape)}
`;
}

function destinationRuleYaml(i: number, ns: string): string {
  const name = serviceName(i);
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  host: ${name}
  trafficPolicy:
    loadBalancer:
      simple: LEAST_REQUEST
    connectionPool:
      tcp:
        connectTimeout: 2s
      http:
        http1MaxPendingRequests: 256
  subsets:
    - name: v1
      labels:
        version: v1
    - name: v2
      labels:
        version: v2
`;
}

function virtualServiceYaml(i: number, ns: string): string {
  const name = serviceName(i);
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  hosts:
    - ${name}
  http:
    - match:
        - headers:
            x-canary:
              exact: "true"
      route:
        - destination:
            host: ${name}
            subset: v2
    - match:
        - uri:
            prefix: /api/
      timeout: 3s
      retries:
        attempts: 3
        perTryTimeout: 1s
      route:
        - destination:
            host: ${name}
            subset: v1
          weight: 90
        - destination:
            host: ${name}
            subset: v2
          weight: 10
    - route:
        - destination:
            host: ${name}
            subset: v1
`;
}
