// What the simulated SotW and delta proxies share: the node, a pushable request stream, the run's watch and counters.
import { create } from "@bufbuild/protobuf";
import { type Node, NodeSchema } from "../../gen/envoy/config/core/v3/base_pb.ts";
import type { ProxySpec } from "./layout.ts";

export const CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
export const EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
export const LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
export const RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

/** An endpoint change being timed: which proxies have ACKed an EDS response carrying the new address. */
export interface ChangeWatch {
  readonly cluster: string;
  readonly address: string;
  /** Proxy index → when its ACK was sent. */
  readonly acked: Map<number, number>;
  onAck(): void;
}

export interface SimStats {
  responses: number;
  resources: number;
  /** Bytes of the resources received (their Any values), a floor for the bytes on the wire. */
  resourceBytes: number;
  acks: number;
  nacks: number;
  errors: number;
  /** Responses decoded from their bytes; the others equalled an earlier response's bytes (response-memo.ts). */
  decoded: number;
}

export interface SimContext {
  readonly now: () => number;
  watch: ChangeWatch | undefined;
  readonly stats: SimStats;
  /** The proxy holds, and has ACKed, every resource it asked for (first time only). */
  onFull(proxy: number, at: number): void;
  onError(proxy: number, err: unknown): void;
}

export interface SimProxy {
  close(): void;
}

export function nodeOf(spec: ProxySpec): Node {
  return create(NodeSchema, {
    id: spec.nodeId,
    cluster: spec.labels.app ?? spec.pod,
    metadata: {
      NAMESPACE: spec.namespace,
      LABELS: { ...spec.labels },
      WORKLOAD_NAME: spec.labels.app ?? spec.pod,
      SERVICE_ACCOUNT: spec.serviceAccount,
      CLUSTER_ID: "Kubernetes",
      INSTANCE_IPS: spec.ip,
    },
  });
}

/**
 * The simulated proxies' gRPC client: node:http2 with gRPC framing of its own ("h2", the default: the least
 * work per byte, as Envoy's client), @grpc/grpc-js (what proxyless gRPC uses) or Connect's gRPC transport.
 */
export const SIM_CLIENT_KINDS = ["h2", "grpc-js", "connect"] as const;
export type SimClientKind = typeof SIM_CLIENT_KINDS[number];
