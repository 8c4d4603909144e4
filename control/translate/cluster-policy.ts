// DestinationRule traffic policy → Cluster fields: load balancer, circuit breakers, connect timeout, upstream HTTP/2.
import {
  Cluster_LbPolicy as LbPolicy,
  type ClusterSchema,
} from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { HttpProtocolOptionsSchema } from "../../gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.ts";
import type { PortProtocol } from "../model/types.ts";
import { isHttp2Protocol, isHttpProtocol } from "../registry/protocol.ts";
import type { TranslateContext } from "./context.ts";
import { parseDurationMs } from "../config/duration.ts";
import { durationOf, type Init, packed } from "./proto.ts";
import type { EffectivePolicy } from "./traffic-policy.ts";

type ClusterInit = Init<typeof ClusterSchema>;

export const UPSTREAM_HTTP_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
const UNLIMITED = 4294967295;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The Cluster fields a traffic policy sets, for a cluster named `name` carrying `protocol` traffic. */
export function clusterPolicyFields(
  ctx: TranslateContext,
  name: string,
  policy: EffectivePolicy,
  protocol: PortProtocol,
): ClusterInit {
  const pool = policy.connectionPool;
  const connectMs = parseDurationMs(pool?.tcp?.connectTimeout) ?? DEFAULT_CONNECT_TIMEOUT_MS;
  warnUnsupported(ctx, name, policy);
  const fields: ClusterInit = {
    connectTimeout: durationOf(connectMs),
    ...loadBalancer(ctx, name, policy),
    circuitBreakers: {
      thresholds: [{
        maxConnections: pool?.tcp?.maxConnections ?? UNLIMITED,
        maxPendingRequests: pool?.http?.http1MaxPendingRequests ?? UNLIMITED,
        maxRequests: pool?.http?.http2MaxRequests ?? UNLIMITED,
        maxRetries: pool?.http?.maxRetries ?? UNLIMITED,
      }],
    },
  };
  const upgrade = pool?.http?.h2UpgradePolicy === "UPGRADE" && isHttpProtocol(protocol);
  if (ctx.proxy.type !== "proxyless" && pool?.http?.useClientProtocol === true && isHttpProtocol(protocol)) {
    fields.typedExtensionProtocolOptions = {
      [UPSTREAM_HTTP_OPTIONS]: packed(HttpProtocolOptionsSchema, {
        upstreamProtocolOptions: {
          case: "useDownstreamProtocolConfig",
          value: { httpProtocolOptions: {}, http2ProtocolOptions: {} },
        },
      }),
    };
  } else if (ctx.proxy.type !== "proxyless" && (isHttp2Protocol(protocol) || upgrade)) {
    fields.typedExtensionProtocolOptions = {
      [UPSTREAM_HTTP_OPTIONS]: packed(HttpProtocolOptionsSchema, {
        upstreamProtocolOptions: {
          case: "explicitHttpConfig",
          value: { protocolConfig: { case: "http2ProtocolOptions", value: {} } },
        },
      }),
    };
  }
  return fields;
}

function loadBalancer(ctx: TranslateContext, name: string, policy: EffectivePolicy): ClusterInit {
  const proxyless = ctx.proxy.type === "proxyless";
  const lb = policy.loadBalancer;
  const hash = lb?.consistentHash;
  if (hash !== undefined) {
    if (hash.maglev !== undefined && !proxyless) {
      const size = hash.maglev.tableSize;
      return {
        lbPolicy: LbPolicy.MAGLEV,
        lbConfig: { case: "maglevLbConfig", value: size === undefined ? {} : { tableSize: BigInt(size) } },
      };
    }
    if (hash.maglev !== undefined) {
      ctx.warn(`${name}: proxyless gRPC has no MAGLEV load balancer; RING_HASH is used`);
    }
    const min = hash.ringHash?.minimumRingSize ?? hash.minimumRingSize;
    return {
      lbPolicy: LbPolicy.RING_HASH,
      lbConfig: {
        case: "ringHashLbConfig",
        value: min === undefined ? {} : { minimumRingSize: BigInt(min) },
      },
    };
  }
  switch (lb?.simple) {
    case undefined:
    case "UNSPECIFIED":
      // Istio's default is LEAST_REQUEST; gRPC clients only do ROUND_ROBIN (and RING_HASH).
      return { lbPolicy: proxyless ? LbPolicy.ROUND_ROBIN : LbPolicy.LEAST_REQUEST };
    case "ROUND_ROBIN":
      return { lbPolicy: LbPolicy.ROUND_ROBIN };
    case "LEAST_REQUEST":
    case "LEAST_CONN":
    case "RANDOM":
      if (proxyless) {
        ctx.warn(
          `${name}: proxyless gRPC supports ROUND_ROBIN and consistent hashing only; ${lb?.simple} → ROUND_ROBIN`,
        );
        return { lbPolicy: LbPolicy.ROUND_ROBIN };
      }
      return { lbPolicy: lb?.simple === "RANDOM" ? LbPolicy.RANDOM : LbPolicy.LEAST_REQUEST };
    default:
      ctx.warn(`${name}: load balancer ${lb?.simple} is not supported; the default is used`);
      return { lbPolicy: proxyless ? LbPolicy.ROUND_ROBIN : LbPolicy.LEAST_REQUEST };
  }
}

function warnUnsupported(ctx: TranslateContext, name: string, policy: EffectivePolicy): void {
  if (policy.outlierDetection !== undefined) {
    ctx.warn(`${name}: outlier detection is not supported by Weft's proxy yet; it is left out`);
  }
  const tls = policy.tls?.mode;
  if (tls !== undefined && tls !== "DISABLE") {
    ctx.warn(`${name}: DestinationRule tls mode ${tls} is not supported yet; it is left out`);
  }
  const http = policy.connectionPool?.http;
  if (http?.maxRequestsPerConnection !== undefined || http?.idleTimeout !== undefined) {
    ctx.warn(
      `${name}: connectionPool.http maxRequestsPerConnection/idleTimeout are not supported yet; left out`,
    );
  }
  if (policy.connectionPool?.tcp?.tcpKeepalive !== undefined) {
    ctx.warn(`${name}: connectionPool.tcp.tcpKeepalive is not supported yet; it is left out`);
  }
}
