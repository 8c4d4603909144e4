// Builds the bootstrap behind `weft proxy --xds host:port`: an Istio-style node identity plus ADS to that address.
import { fromJson } from "@bufbuild/protobuf";
import type { JsonValue, Registry } from "@bufbuild/protobuf";
import { type Bootstrap, BootstrapSchema } from "../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import { WeftError } from "../errors.ts";

export interface AdsBootstrapOptions {
  /** host:port of the control plane (gRPC, plaintext). */
  readonly xds: string;
  /** Proxy type: sidecar or router (gateway). */
  readonly type?: "sidecar" | "router";
  readonly ip?: string;
  readonly podName?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly serviceAccount?: string;
  readonly clusterId?: string;
  /** Extra node metadata (Weft-specific keys are documented in docs/control-plane.md). */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly adminPort?: number;
}

export function adsBootstrap(options: AdsBootstrapOptions, registry: Registry): Bootstrap {
  const match = /^(.+):(\d+)$/.exec(options.xds);
  if (!match) throw new WeftError("config", `--xds: expected host:port, got "${options.xds}"`);
  const [, host, port] = match;
  const ns = options.namespace ?? "default";
  const ip = options.ip ?? "127.0.0.1";
  const pod = options.podName ?? "weft-proxy";
  const type = options.type ?? "sidecar";
  const metadata: { [key: string]: JsonValue } = {
    NAMESPACE: ns,
    LABELS: options.labels ?? {},
    WORKLOAD_NAME: options.labels?.app ?? pod,
    CLUSTER_ID: options.clusterId ?? "Kubernetes",
    INSTANCE_IPS: ip,
    ...options.metadata,
  };
  if (options.serviceAccount) metadata.SERVICE_ACCOUNT = options.serviceAccount;
  return fromJson(BootstrapSchema, {
    node: {
      id: `${type}~${ip}~${pod}.${ns}~${ns}.svc.cluster.local`,
      cluster: options.labels?.app ?? pod,
      metadata,
    },
    dynamic_resources: {
      ads_config: {
        api_type: "GRPC",
        transport_api_version: "V3",
        grpc_services: [{ envoy_grpc: { cluster_name: "xds-grpc" } }],
      },
      cds_config: { ads: {}, resource_api_version: "V3" },
      lds_config: { ads: {}, resource_api_version: "V3" },
    },
    static_resources: {
      clusters: [{
        name: "xds-grpc",
        type: /^[\d.]+$/.test(host) ? "STATIC" : "LOGICAL_DNS",
        connect_timeout: "1s",
        typed_extension_protocol_options: {
          "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            explicit_http_config: { http2_protocol_options: {} },
          },
        },
        load_assignment: {
          cluster_name: "xds-grpc",
          endpoints: [{
            lb_endpoints: [{
              endpoint: { address: { socket_address: { address: host, port_value: Number(port) } } },
            }],
          }],
        },
      }],
    },
    ...(options.adminPort !== undefined
      ? { admin: { address: { socket_address: { address: ip, port_value: options.adminPort } } } }
      : {}),
  }, { registry });
}
