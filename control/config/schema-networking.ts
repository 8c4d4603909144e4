// The shapes of Istio's networking.istio.io specs (field names and types as Istio's CRDs accept them).
import type { FieldType, MessageSchema } from "./schema.ts";
import { STRING_LIST, STRING_MAP } from "./schema.ts";

const msg = (fields: Record<string, FieldType>, oneofs?: string[][]): MessageSchema => ({ fields, oneofs });

const STRING_MATCH = msg({ exact: "string", prefix: "string", regex: "string" }, [[
  "exact",
  "prefix",
  "regex",
]]);
const PORT_SELECTOR = msg({ number: "uint" });
const PERCENT = msg({ value: "number" });
export const DESTINATION = msg({ host: "string", subset: "string", port: PORT_SELECTOR });
const HEADER_OPS = msg({ set: STRING_MAP, add: STRING_MAP, remove: STRING_LIST });
const HEADERS = msg({ request: HEADER_OPS, response: HEADER_OPS });
const WORKLOAD_SELECTOR_LABELS = msg({ labels: STRING_MAP });
const WORKLOAD_SELECTOR_MATCH_LABELS = msg({ matchLabels: STRING_MAP });
const STRING_MATCH_MAP: FieldType = { map: STRING_MATCH };

const HTTP_MATCH = msg({
  name: "string",
  uri: STRING_MATCH,
  scheme: STRING_MATCH,
  method: STRING_MATCH,
  authority: STRING_MATCH,
  headers: STRING_MATCH_MAP,
  port: "uint",
  sourceLabels: STRING_MAP,
  gateways: STRING_LIST,
  queryParams: STRING_MATCH_MAP,
  ignoreUriCase: "bool",
  withoutHeaders: STRING_MATCH_MAP,
  sourceNamespace: "string",
  statPrefix: "string",
});

const HTTP_ROUTE_DESTINATION = msg({ destination: DESTINATION, weight: "int", headers: HEADERS });
const ROUTE_DESTINATION = msg({ destination: DESTINATION, weight: "int" });

const HTTP_REDIRECT = msg({
  uri: "string",
  authority: "string",
  port: "uint",
  derivePort: { enum: ["FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"] },
  scheme: "string",
  redirectCode: "uint",
}, [["port", "derivePort"]]);

const HTTP_DIRECT_RESPONSE = msg({
  status: "uint",
  body: msg({ string: "string", bytes: "string" }, [["string", "bytes"]]),
});
const HTTP_REWRITE = msg({
  uri: "string",
  authority: "string",
  uriRegexRewrite: msg({ match: "string", rewrite: "string" }),
});
const HTTP_RETRY = msg({
  attempts: "int",
  perTryTimeout: "duration",
  retryOn: "string",
  retryRemoteLocalities: "bool",
  retryIgnorePreviousHosts: "bool",
  backoff: "duration",
});

const FAULT_DELAY = msg({
  fixedDelay: "duration",
  exponentialDelay: "duration",
  percentage: PERCENT,
  percent: "int",
}, [[
  "fixedDelay",
  "exponentialDelay",
]]);
const FAULT_ABORT = msg({
  httpStatus: "int",
  grpcStatus: "string",
  http2Error: "string",
  percentage: PERCENT,
}, [[
  "httpStatus",
  "grpcStatus",
  "http2Error",
]]);

const CORS_POLICY = msg({
  allowOrigins: { list: STRING_MATCH },
  allowOrigin: STRING_LIST,
  allowMethods: STRING_LIST,
  allowHeaders: STRING_LIST,
  exposeHeaders: STRING_LIST,
  maxAge: "duration",
  allowCredentials: "bool",
  unmatchedPreflights: { enum: ["UNSPECIFIED", "FORWARD", "IGNORE"] },
});

const HTTP_ROUTE = msg({
  name: "string",
  match: { list: HTTP_MATCH },
  route: { list: HTTP_ROUTE_DESTINATION },
  redirect: HTTP_REDIRECT,
  directResponse: HTTP_DIRECT_RESPONSE,
  delegate: msg({ name: "string", namespace: "string" }),
  rewrite: HTTP_REWRITE,
  timeout: "duration",
  retries: HTTP_RETRY,
  fault: msg({ delay: FAULT_DELAY, abort: FAULT_ABORT }),
  mirror: DESTINATION,
  mirrors: { list: msg({ destination: DESTINATION, percentage: PERCENT }) },
  mirrorPercent: "uint",
  mirrorPercentage: PERCENT,
  corsPolicy: CORS_POLICY,
  headers: HEADERS,
});

const L4_MATCH = msg({
  destinationSubnets: STRING_LIST,
  port: "uint",
  sourceLabels: STRING_MAP,
  gateways: STRING_LIST,
  sourceNamespace: "string",
});
const TLS_MATCH = msg({
  sniHosts: STRING_LIST,
  destinationSubnets: STRING_LIST,
  port: "uint",
  sourceLabels: STRING_MAP,
  gateways: STRING_LIST,
  sourceNamespace: "string",
});

export const VIRTUAL_SERVICE = msg({
  hosts: STRING_LIST,
  gateways: STRING_LIST,
  http: { list: HTTP_ROUTE },
  tls: { list: msg({ match: { list: TLS_MATCH }, route: { list: ROUTE_DESTINATION } }) },
  tcp: { list: msg({ match: { list: L4_MATCH }, route: { list: ROUTE_DESTINATION } }) },
  exportTo: STRING_LIST,
});

export const LB_SIMPLE = [
  "UNSPECIFIED",
  "LEAST_CONN",
  "RANDOM",
  "PASSTHROUGH",
  "ROUND_ROBIN",
  "LEAST_REQUEST",
] as const;

const CONSISTENT_HASH = msg({
  httpHeaderName: "string",
  httpCookie: msg({
    name: "string",
    path: "string",
    ttl: "duration",
    attributes: { list: msg({ name: "string", value: "string" }) },
  }),
  useSourceIp: "bool",
  httpQueryParameterName: "string",
  ringHash: msg({ minimumRingSize: "uint" }),
  maglev: msg({ tableSize: "uint" }),
  minimumRingSize: "uint",
}, [["httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"], ["ringHash", "maglev"]]);

const LOCALITY_LB = msg({
  distribute: { list: msg({ from: "string", to: { map: "uint" } }) },
  failover: { list: msg({ from: "string", to: "string" }) },
  failoverPriority: STRING_LIST,
  enabled: "bool",
});

const LOAD_BALANCER = msg({
  simple: { enum: LB_SIMPLE },
  consistentHash: CONSISTENT_HASH,
  localityLbSetting: LOCALITY_LB,
  warmupDurationSecs: "duration",
  warmup: msg({ duration: "duration", minimumPercent: "number", aggression: "number" }),
}, [["simple", "consistentHash"]]);

export const CONNECTION_POOL = msg({
  tcp: msg({
    maxConnections: "int",
    connectTimeout: "duration",
    tcpKeepalive: msg({ probes: "uint", time: "duration", interval: "duration" }),
    maxConnectionDuration: "duration",
    idleTimeout: "duration",
  }),
  http: msg({
    http1MaxPendingRequests: "int",
    http2MaxRequests: "int",
    maxRequestsPerConnection: "int",
    maxRetries: "int",
    idleTimeout: "duration",
    h2UpgradePolicy: { enum: ["DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"] },
    useClientProtocol: "bool",
    maxConcurrentStreams: "int",
  }),
});

const OUTLIER_DETECTION = msg({
  splitExternalLocalOriginErrors: "bool",
  consecutiveLocalOriginFailures: "uint",
  consecutiveGatewayErrors: "uint",
  consecutive5xxErrors: "uint",
  consecutiveErrors: "int",
  interval: "duration",
  baseEjectionTime: "duration",
  maxEjectionPercent: "int",
  minHealthPercent: "int",
});

export const CLIENT_TLS_MODES = ["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"] as const;

const CLIENT_TLS = msg({
  mode: { enum: CLIENT_TLS_MODES },
  clientCertificate: "string",
  privateKey: "string",
  caCertificates: "string",
  credentialName: "string",
  subjectAltNames: STRING_LIST,
  sni: "string",
  insecureSkipVerify: "bool",
  caCrl: "string",
});

const PORT_TRAFFIC_POLICY = msg({
  port: PORT_SELECTOR,
  loadBalancer: LOAD_BALANCER,
  connectionPool: CONNECTION_POOL,
  outlierDetection: OUTLIER_DETECTION,
  tls: CLIENT_TLS,
});

const TRAFFIC_POLICY = msg({
  loadBalancer: LOAD_BALANCER,
  connectionPool: CONNECTION_POOL,
  outlierDetection: OUTLIER_DETECTION,
  tls: CLIENT_TLS,
  portLevelSettings: { list: PORT_TRAFFIC_POLICY },
  tunnel: msg({ protocol: "string", targetHost: "string", targetPort: "uint" }),
  proxyProtocol: msg({ version: { enum: ["V1", "V2"] } }),
});

export const DESTINATION_RULE = msg({
  host: "string",
  trafficPolicy: TRAFFIC_POLICY,
  subsets: { list: msg({ name: "string", labels: STRING_MAP, trafficPolicy: TRAFFIC_POLICY }) },
  exportTo: STRING_LIST,
  workloadSelector: WORKLOAD_SELECTOR_MATCH_LABELS,
});

const PORT = msg({ number: "uint", protocol: "string", name: "string", targetPort: "uint" });

export const SERVER_TLS_MODES = [
  "PASSTHROUGH",
  "SIMPLE",
  "MUTUAL",
  "AUTO_PASSTHROUGH",
  "ISTIO_MUTUAL",
  "OPTIONAL_MUTUAL",
] as const;
const TLS_VERSION = { enum: ["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"] } as const;

export const SERVER_TLS = msg({
  httpsRedirect: "bool",
  mode: { enum: SERVER_TLS_MODES },
  serverCertificate: "string",
  privateKey: "string",
  caCertificates: "string",
  caCrl: "string",
  credentialName: "string",
  credentialNames: STRING_LIST,
  tlsCertificates: {
    list: msg({ serverCertificate: "string", privateKey: "string", caCertificates: "string" }),
  },
  subjectAltNames: STRING_LIST,
  verifyCertificateSpki: STRING_LIST,
  verifyCertificateHash: STRING_LIST,
  minProtocolVersion: TLS_VERSION,
  maxProtocolVersion: TLS_VERSION,
  cipherSuites: STRING_LIST,
});

export const GATEWAY = msg({
  servers: {
    list: msg({
      port: PORT,
      bind: "string",
      hosts: STRING_LIST,
      tls: SERVER_TLS,
      defaultEndpoint: "string",
      name: "string",
    }),
  },
  selector: STRING_MAP,
});

export const WORKLOAD_ENTRY = msg({
  address: "string",
  ports: { map: "uint" },
  labels: STRING_MAP,
  network: "string",
  locality: "string",
  weight: "uint",
  serviceAccount: "string",
});

export const SERVICE_ENTRY = msg({
  hosts: STRING_LIST,
  addresses: STRING_LIST,
  ports: { list: PORT },
  location: { enum: ["MESH_EXTERNAL", "MESH_INTERNAL"] },
  resolution: { enum: ["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"] },
  endpoints: { list: WORKLOAD_ENTRY },
  workloadSelector: WORKLOAD_SELECTOR_LABELS,
  exportTo: STRING_LIST,
  subjectAltNames: STRING_LIST,
});

const CAPTURE_MODE = { enum: ["DEFAULT", "IPTABLES", "NONE"] } as const;

export const SIDECAR = msg({
  workloadSelector: WORKLOAD_SELECTOR_LABELS,
  ingress: {
    list: msg({
      port: PORT,
      bind: "string",
      captureMode: CAPTURE_MODE,
      defaultEndpoint: "string",
      tls: SERVER_TLS,
      connectionPool: CONNECTION_POOL,
    }),
  },
  egress: { list: msg({ port: PORT, bind: "string", captureMode: CAPTURE_MODE, hosts: STRING_LIST }) },
  outboundTrafficPolicy: msg({ mode: { enum: ["REGISTRY_ONLY", "ALLOW_ANY"] }, egressProxy: DESTINATION }),
  inboundConnectionPool: CONNECTION_POOL,
});
