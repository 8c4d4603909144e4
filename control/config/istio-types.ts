// TypeScript shapes of the specs Weft reads, as written in YAML (camelCase, durations as strings like "1.5s").
// Objects that passed validation match these; parse durations with `parseDuration` (schema.ts), resolve hosts
// with `resolveHost` (host-names.ts). Enum-valued fields hold Istio's enum names.

export interface StringMatch {
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
}
export interface PortSelector {
  readonly number?: number;
}
export interface Percent {
  readonly value?: number;
}
export interface Destination {
  readonly host: string;
  readonly subset?: string;
  readonly port?: PortSelector;
}
export interface HeaderOperations {
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}
export interface Headers {
  readonly request?: HeaderOperations;
  readonly response?: HeaderOperations;
}

// ---- VirtualService ----
export interface VirtualServiceSpec {
  readonly hosts: readonly string[];
  /** Gateway names ("name", "ns/name", or "mesh"); empty means the mesh (sidecars) only. */
  readonly gateways?: readonly string[];
  readonly http?: readonly HTTPRoute[];
  readonly tls?: readonly TLSRoute[];
  readonly tcp?: readonly TCPRoute[];
  readonly exportTo?: readonly string[];
}
export interface HTTPMatchRequest {
  readonly name?: string;
  readonly uri?: StringMatch;
  readonly scheme?: StringMatch;
  readonly method?: StringMatch;
  readonly authority?: StringMatch;
  readonly headers?: Readonly<Record<string, StringMatch>>;
  readonly withoutHeaders?: Readonly<Record<string, StringMatch>>;
  readonly queryParams?: Readonly<Record<string, StringMatch>>;
  readonly port?: number;
  readonly sourceLabels?: Readonly<Record<string, string>>;
  readonly gateways?: readonly string[];
  readonly ignoreUriCase?: boolean;
  readonly sourceNamespace?: string;
  readonly statPrefix?: string;
}
export interface HTTPRouteDestination {
  readonly destination: Destination;
  /** 0..100; missing with a single destination means all traffic. */
  readonly weight?: number;
  readonly headers?: Headers;
}
export interface HTTPRedirect {
  readonly uri?: string;
  readonly authority?: string;
  readonly port?: number;
  readonly derivePort?: "FROM_PROTOCOL_DEFAULT" | "FROM_REQUEST_PORT";
  readonly scheme?: string;
  /** Defaults to 301. */
  readonly redirectCode?: number;
}
export interface HTTPDirectResponse {
  readonly status: number;
  readonly body?: { readonly string?: string; readonly bytes?: string };
}
export interface HTTPRewrite {
  readonly uri?: string;
  readonly authority?: string;
  readonly uriRegexRewrite?: { readonly match: string; readonly rewrite: string };
}
export interface HTTPRetry {
  readonly attempts?: number;
  readonly perTryTimeout?: string;
  readonly retryOn?: string;
  readonly retryRemoteLocalities?: boolean;
  readonly retryIgnorePreviousHosts?: boolean;
  readonly backoff?: string;
}
export interface HTTPFaultInjection {
  readonly delay?: {
    readonly fixedDelay?: string;
    readonly percentage?: Percent;
    /** Deprecated integer percent (older samples); prefer `percentage`. */
    readonly percent?: number;
  };
  readonly abort?: {
    readonly httpStatus?: number;
    readonly grpcStatus?: string;
    readonly percentage?: Percent;
  };
}
export interface HTTPMirrorPolicy {
  readonly destination: Destination;
  readonly percentage?: Percent;
}
export interface CorsPolicy {
  readonly allowOrigins?: readonly StringMatch[];
  readonly allowMethods?: readonly string[];
  readonly allowHeaders?: readonly string[];
  readonly exposeHeaders?: readonly string[];
  readonly maxAge?: string;
  readonly allowCredentials?: boolean;
  readonly unmatchedPreflights?: "UNSPECIFIED" | "FORWARD" | "IGNORE";
}
export interface HTTPRoute {
  readonly name?: string;
  readonly match?: readonly HTTPMatchRequest[];
  readonly route?: readonly HTTPRouteDestination[];
  readonly redirect?: HTTPRedirect;
  readonly directResponse?: HTTPDirectResponse;
  /** Delegation to another VirtualService: validation rejects it (Weft does not support delegation). */
  readonly delegate?: { readonly name?: string; readonly namespace?: string };
  readonly rewrite?: HTTPRewrite;
  /** "0s" disables the timeout. */
  readonly timeout?: string;
  readonly retries?: HTTPRetry;
  readonly fault?: HTTPFaultInjection;
  readonly mirror?: Destination;
  readonly mirrors?: readonly HTTPMirrorPolicy[];
  /** Deprecated; prefer mirrorPercentage. */
  readonly mirrorPercent?: number;
  readonly mirrorPercentage?: Percent;
  readonly corsPolicy?: CorsPolicy;
  readonly headers?: Headers;
}
export interface L4MatchAttributes {
  readonly destinationSubnets?: readonly string[];
  readonly port?: number;
  readonly sourceLabels?: Readonly<Record<string, string>>;
  readonly gateways?: readonly string[];
  readonly sourceNamespace?: string;
}
export interface TLSMatchAttributes extends L4MatchAttributes {
  readonly sniHosts: readonly string[];
}
export interface RouteDestination {
  readonly destination: Destination;
  readonly weight?: number;
}
export interface TLSRoute {
  readonly match: readonly TLSMatchAttributes[];
  readonly route: readonly RouteDestination[];
}
export interface TCPRoute {
  readonly match?: readonly L4MatchAttributes[];
  readonly route: readonly RouteDestination[];
}

// ---- DestinationRule ----
export type SimpleLB =
  | "UNSPECIFIED"
  | "LEAST_CONN"
  | "RANDOM"
  | "PASSTHROUGH"
  | "ROUND_ROBIN"
  | "LEAST_REQUEST";
export interface ConsistentHashLB {
  readonly httpHeaderName?: string;
  readonly httpCookie?: { readonly name: string; readonly path?: string; readonly ttl?: string };
  readonly useSourceIp?: boolean;
  readonly httpQueryParameterName?: string;
  readonly ringHash?: { readonly minimumRingSize?: number };
  readonly maglev?: { readonly tableSize?: number };
  readonly minimumRingSize?: number;
}
export interface LoadBalancerSettings {
  readonly simple?: SimpleLB;
  readonly consistentHash?: ConsistentHashLB;
  readonly localityLbSetting?: Readonly<Record<string, unknown>>;
  readonly warmupDurationSecs?: string;
}
export interface ConnectionPoolSettings {
  readonly tcp?: {
    readonly maxConnections?: number;
    readonly connectTimeout?: string;
    readonly tcpKeepalive?: { readonly probes?: number; readonly time?: string; readonly interval?: string };
    readonly maxConnectionDuration?: string;
    readonly idleTimeout?: string;
  };
  readonly http?: {
    readonly http1MaxPendingRequests?: number;
    readonly http2MaxRequests?: number;
    readonly maxRequestsPerConnection?: number;
    readonly maxRetries?: number;
    readonly idleTimeout?: string;
    readonly h2UpgradePolicy?: "DEFAULT" | "DO_NOT_UPGRADE" | "UPGRADE";
    readonly useClientProtocol?: boolean;
    readonly maxConcurrentStreams?: number;
  };
}
export interface OutlierDetection {
  readonly splitExternalLocalOriginErrors?: boolean;
  readonly consecutiveLocalOriginFailures?: number;
  readonly consecutiveGatewayErrors?: number;
  readonly consecutive5xxErrors?: number;
  readonly interval?: string;
  readonly baseEjectionTime?: string;
  readonly maxEjectionPercent?: number;
  readonly minHealthPercent?: number;
}
export interface ClientTLSSettings {
  readonly mode?: "DISABLE" | "SIMPLE" | "MUTUAL" | "ISTIO_MUTUAL";
  readonly clientCertificate?: string;
  readonly privateKey?: string;
  readonly caCertificates?: string;
  readonly credentialName?: string;
  readonly subjectAltNames?: readonly string[];
  readonly sni?: string;
  readonly insecureSkipVerify?: boolean;
  readonly caCrl?: string;
}
export interface PortTrafficPolicy {
  readonly port: PortSelector;
  readonly loadBalancer?: LoadBalancerSettings;
  readonly connectionPool?: ConnectionPoolSettings;
  readonly outlierDetection?: OutlierDetection;
  readonly tls?: ClientTLSSettings;
}
export interface TrafficPolicy extends Omit<PortTrafficPolicy, "port"> {
  readonly portLevelSettings?: readonly PortTrafficPolicy[];
  readonly tunnel?: { readonly protocol?: string; readonly targetHost: string; readonly targetPort: number };
  readonly proxyProtocol?: { readonly version?: "V1" | "V2" };
}
export interface Subset {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly trafficPolicy?: TrafficPolicy;
}
export interface DestinationRuleSpec {
  readonly host: string;
  readonly trafficPolicy?: TrafficPolicy;
  readonly subsets?: readonly Subset[];
  readonly exportTo?: readonly string[];
  readonly workloadSelector?: { readonly matchLabels?: Readonly<Record<string, string>> };
}

// ---- Gateway, ServiceEntry, WorkloadEntry, Sidecar ----
export interface Port {
  readonly number: number;
  /** HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TCP, TLS, MONGO, REDIS, MYSQL, UDP (case-insensitive). */
  readonly protocol?: string;
  readonly name?: string;
  readonly targetPort?: number;
}
export interface ServerTLSSettings {
  readonly httpsRedirect?: boolean;
  /** Defaults to PASSTHROUGH. */
  readonly mode?:
    | "PASSTHROUGH"
    | "SIMPLE"
    | "MUTUAL"
    | "AUTO_PASSTHROUGH"
    | "ISTIO_MUTUAL"
    | "OPTIONAL_MUTUAL";
  readonly serverCertificate?: string;
  readonly privateKey?: string;
  readonly caCertificates?: string;
  readonly caCrl?: string;
  readonly credentialName?: string;
  readonly credentialNames?: readonly string[];
  readonly subjectAltNames?: readonly string[];
  readonly minProtocolVersion?: "TLS_AUTO" | "TLSV1_0" | "TLSV1_1" | "TLSV1_2" | "TLSV1_3";
  readonly maxProtocolVersion?: "TLS_AUTO" | "TLSV1_0" | "TLSV1_1" | "TLSV1_2" | "TLSV1_3";
  readonly cipherSuites?: readonly string[];
}
export interface Server {
  readonly port: Port;
  readonly bind?: string;
  /** "host", "*.example.com", "*", or "<namespace>/<host>". */
  readonly hosts: readonly string[];
  readonly tls?: ServerTLSSettings;
  readonly defaultEndpoint?: string;
  readonly name?: string;
}
export interface GatewaySpec {
  readonly servers: readonly Server[];
  readonly selector?: Readonly<Record<string, string>>;
}
export interface WorkloadEntrySpec {
  readonly address?: string;
  readonly ports?: Readonly<Record<string, number>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly network?: string;
  readonly locality?: string;
  readonly weight?: number;
  readonly serviceAccount?: string;
}
export interface ServiceEntrySpec {
  readonly hosts: readonly string[];
  readonly addresses?: readonly string[];
  readonly ports?: readonly Port[];
  /** Defaults to MESH_EXTERNAL. */
  readonly location?: "MESH_EXTERNAL" | "MESH_INTERNAL";
  /** Defaults to NONE. */
  readonly resolution?: "NONE" | "STATIC" | "DNS" | "DNS_ROUND_ROBIN";
  readonly endpoints?: readonly WorkloadEntrySpec[];
  readonly workloadSelector?: { readonly labels?: Readonly<Record<string, string>> };
  readonly exportTo?: readonly string[];
  readonly subjectAltNames?: readonly string[];
}
export interface SidecarSpec {
  readonly workloadSelector?: { readonly labels?: Readonly<Record<string, string>> };
  readonly ingress?: readonly {
    readonly port: Port;
    readonly bind?: string;
    readonly captureMode?: "DEFAULT" | "IPTABLES" | "NONE";
    readonly defaultEndpoint?: string;
    readonly tls?: ServerTLSSettings;
    readonly connectionPool?: ConnectionPoolSettings;
  }[];
  readonly egress?: readonly {
    readonly port?: Port;
    readonly bind?: string;
    readonly captureMode?: "DEFAULT" | "IPTABLES" | "NONE";
    /** "namespace/dnsName": "./*", "istio-system/*", "*\/reviews.default.svc.cluster.local". */
    readonly hosts: readonly string[];
  }[];
  readonly outboundTrafficPolicy?: {
    readonly mode?: "REGISTRY_ONLY" | "ALLOW_ANY";
    readonly egressProxy?: Destination;
  };
  readonly inboundConnectionPool?: ConnectionPoolSettings;
}

// ---- Kubernetes (only the fields Weft reads; `ConfigObject.spec` of Service is the Service's spec) ----
export interface ServicePortSpec {
  readonly name?: string;
  readonly protocol?: "TCP" | "UDP" | "SCTP";
  readonly appProtocol?: string;
  readonly port: number;
  /** A number, or the name of a container port. */
  readonly targetPort?: number | string;
}
export interface KubernetesServiceSpec {
  readonly ports?: readonly ServicePortSpec[];
  readonly selector?: Readonly<Record<string, string>>;
  readonly clusterIP?: string;
  readonly type?: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
  readonly externalName?: string;
}
export interface EndpointPort {
  readonly name?: string;
  readonly port?: number;
  readonly protocol?: string;
  readonly appProtocol?: string;
}
/** `ConfigObject.spec` of an EndpointSlice: its top-level fields. The service is the kubernetes.io/service-name label. */
export interface EndpointSliceBody {
  readonly addressType: "IPv4" | "IPv6" | "FQDN";
  readonly endpoints?: readonly {
    readonly addresses: readonly string[];
    readonly conditions?: {
      readonly ready?: boolean;
      readonly serving?: boolean;
      readonly terminating?: boolean;
    };
    readonly hostname?: string;
    readonly targetRef?: { readonly kind?: string; readonly name?: string; readonly namespace?: string };
  }[];
  readonly ports?: readonly EndpointPort[];
}
/** `ConfigObject.spec` of an Endpoints object: its top-level fields. */
export interface EndpointsBody {
  readonly subsets?: readonly {
    readonly addresses?: readonly {
      readonly ip: string;
      readonly hostname?: string;
      readonly targetRef?: { readonly name?: string };
    }[];
    readonly notReadyAddresses?: readonly { readonly ip: string }[];
    readonly ports?: readonly EndpointPort[];
  }[];
}
/** `ConfigObject.spec` of a Pod: `{ spec, status }` as written. The IP is status.podIP or the weft.io/pod-ip annotation. */
export interface PodBody {
  readonly spec?: {
    readonly serviceAccountName?: string;
    readonly containers?: readonly Readonly<Record<string, unknown>>[];
  };
  readonly status?: { readonly podIP?: string; readonly phase?: string };
}

/** The spec type of each kind, for typed reads from the store: `store.list("VirtualService")`. */
export interface KindSpecs {
  readonly VirtualService: VirtualServiceSpec;
  readonly DestinationRule: DestinationRuleSpec;
  readonly Gateway: GatewaySpec;
  readonly ServiceEntry: ServiceEntrySpec;
  readonly WorkloadEntry: WorkloadEntrySpec;
  readonly Sidecar: SidecarSpec;
  readonly Service: KubernetesServiceSpec;
  readonly EndpointSlice: EndpointSliceBody;
  readonly Endpoints: EndpointsBody;
  readonly Pod: PodBody;
  readonly PeerAuthentication: Readonly<Record<string, unknown>>;
  readonly AuthorizationPolicy: Readonly<Record<string, unknown>>;
  readonly RequestAuthentication: Readonly<Record<string, unknown>>;
}
