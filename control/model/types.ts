// The control plane's normalized service model: what registries produce and translation consumes.

/** Where a config object came from, for errors and `weft analyze` (file and 1-based line). */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
}

/** An Istio / Kubernetes config object as read from YAML (kind + metadata + spec kept as plain JSON). */
export interface ConfigObject<Spec = Record<string, unknown>> {
  /** e.g. "networking.istio.io/v1beta1" or "v1". */
  readonly apiVersion: string;
  /** VirtualService, DestinationRule, Gateway, ServiceEntry, WorkloadEntry, Sidecar, Service, EndpointSlice, Endpoints, Pod. */
  readonly kind: string;
  readonly name: string;
  /** "default" when the YAML gives none. */
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: Spec;
  readonly source?: SourceRef;
}

export type PortProtocol =
  | "HTTP"
  | "HTTP2"
  | "GRPC"
  | "TCP"
  | "TLS"
  | "HTTPS"
  | "MONGO"
  | "REDIS"
  | "UNKNOWN";

export interface ServicePort {
  readonly name: string;
  readonly port: number;
  /** Protocol from the port's appProtocol / name prefix (Istio's protocol selection). */
  readonly protocol: PortProtocol;
  /** The workload port (Kubernetes targetPort; ServiceEntry targetPort); defaults to `port`. */
  readonly targetPort: number;
}

/** A service in the mesh: a Kubernetes Service, a ServiceEntry host, or a registered service. */
export interface Service {
  /** Fully qualified: reviews.default.svc.cluster.local, or the ServiceEntry host. */
  readonly hostname: string;
  readonly namespace: string;
  readonly ports: readonly ServicePort[];
  /** Label selector picking its workloads (Kubernetes spec.selector / ServiceEntry workloadSelector). */
  readonly selector?: Readonly<Record<string, string>>;
  /** ClusterIP or VIP, when it has one. */
  readonly address?: string;
  /** STATIC (endpoints known), DNS (resolve hostname), NONE (passthrough). */
  readonly resolution: "STATIC" | "DNS" | "NONE";
  /** MESH_INTERNAL or MESH_EXTERNAL (ServiceEntry location). */
  readonly external: boolean;
  /** Which registry produced it: "kubernetes", "serviceentry", "registration". */
  readonly registry: string;
}

/** One workload endpoint of a service port. */
export interface ServiceInstance {
  readonly hostname: string;
  /** The service port this instance serves (Service port number, not the target port). */
  readonly servicePort: number;
  readonly address: string;
  /** The port the workload listens on. */
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: string;
  readonly serviceAccount?: string;
  readonly workloadName?: string;
  readonly weight: number;
  readonly healthy: boolean;
  readonly registry: string;
}

/** A workload (Pod, WorkloadEntry, registered instance) independent of services. */
export interface Workload {
  readonly name: string;
  readonly namespace: string;
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount?: string;
}

/** What a proxy says about itself in its xDS Node (Istio conventions). */
export interface ProxyIdentity {
  /** The xDS node id, e.g. "sidecar~10.1.2.3~reviews-v1-abc.default~default.svc.cluster.local". */
  readonly id: string;
  /** "sidecar" | "router" (gateway) | "proxyless" (gRPC xDS clients, GENERATOR=grpc or no Istio id). */
  readonly type: "sidecar" | "router" | "proxyless";
  readonly ip?: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly workloadName?: string;
  readonly serviceAccount?: string;
  readonly clusterId?: string;
  /**
   * Explicit-port binding for meshes without traffic interception (one machine, VMs): from node metadata
   * WEFT_OUTBOUND_ADDRESS (outbound listeners bind here instead of 0.0.0.0 / the service VIP),
   * WEFT_INBOUND_ADDRESS (per-port inbound listeners bind here instead of virtualInbound on 15006; default
   * the proxy's IP when WEFT_APP_ADDRESS is set) and WEFT_APP_ADDRESS (where the local app listens,
   * instead of 127.0.0.1). See docs/control-plane.md.
   */
  readonly bindings?: {
    readonly outboundAddress?: string;
    readonly inboundAddress?: string;
    readonly appAddress?: string;
  };
}
