// The edge gateway Worker: routes by the VirtualServices the control plane translated for its gateway identity.
import { create } from "@bufbuild/protobuf";
import { type Node, NodeSchema } from "../../gen/envoy/config/core/v3/base_pb.ts";
import {
  connectConfigSource,
  createEdgeWorker,
  kvConfigStore,
  loadJsonBootstrap,
} from "../../adapters/workers/mod.ts";

/** Vars (wrangler.jsonc "vars") and bindings the gateway reads. */
export interface Env {
  /** The control plane's Connect URL (default http://127.0.0.1:15010); unused with WEFT_BOOTSTRAP alone. */
  readonly WEFT_CONTROL_URL?: string;
  /**
   * A static Envoy bootstrap, JSON text or a JSON object in wrangler.jsonc: routes without a control plane
   * unless WEFT_CONTROL_URL is set too.
   */
  readonly WEFT_BOOTSTRAP?: string | object;
  /** The gateway's labels, "k=v,k2=v2": they select the Istio Gateway (default istio=edgegateway). */
  readonly WEFT_GATEWAY_LABELS?: string;
  readonly WEFT_NAMESPACE?: string;
  /** Default router~0.0.0.0~weft-edge.<ns>~<ns>.svc.cluster.local. */
  readonly WEFT_NODE_ID?: string;
  readonly WEFT_CLUSTER_ID?: string;
  readonly WEFT_REFRESH_SECONDS?: string;
  /** The listener that serves requests (default: the first HTTP listener, e.g. 0.0.0.0_80). */
  readonly WEFT_LISTENER?: string;
  readonly WEFT_ACCESS_LOG?: string;
  readonly WEFT_LOG?: string;
  /** Optional KV namespace: the last good config survives isolate restarts and control-plane outages. */
  readonly WEFT_CONFIG_KV?: KVNamespace;
}

const DEFAULT_CONTROL_URL = "http://127.0.0.1:15010";

/** "istio=edgegateway, app=edge" → { istio: "edgegateway", app: "edge" }. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const eq = pair.indexOf("=");
    if (eq > 0) labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
}

/** The Istio-style router identity the control plane translates Gateways and VirtualServices for. */
export function edgeNode(env: Env): Node {
  const ns = env.WEFT_NAMESPACE || "istio-system";
  return create(NodeSchema, {
    id: env.WEFT_NODE_ID || `router~0.0.0.0~weft-edge.${ns}~${ns}.svc.cluster.local`,
    cluster: "weft-edge",
    metadata: {
      NAMESPACE: ns,
      LABELS: parseLabels(env.WEFT_GATEWAY_LABELS ?? "istio=edgegateway"),
      ...(env.WEFT_CLUSTER_ID ? { CLUSTER_ID: env.WEFT_CLUSTER_ID } : {}),
    },
  });
}

const worker = createEdgeWorker<Env>({
  bootstrap: (env) =>
    env.WEFT_BOOTSTRAP ? loadJsonBootstrap(env.WEFT_BOOTSTRAP, "WEFT_BOOTSTRAP") : undefined,
  configSource: (env) =>
    env.WEFT_BOOTSTRAP && !env.WEFT_CONTROL_URL ? undefined : connectConfigSource({
      baseUrl: env.WEFT_CONTROL_URL || DEFAULT_CONTROL_URL,
      node: edgeNode(env),
    }),
  configStore: (env, source) => env.WEFT_CONFIG_KV && kvConfigStore(env.WEFT_CONFIG_KV, source.node.id),
  refreshSeconds: (env) => env.WEFT_REFRESH_SECONDS ? Number(env.WEFT_REFRESH_SECONDS) : undefined,
  listener: (env) => env.WEFT_LISTENER || undefined,
  accessLog: (env) => env.WEFT_ACCESS_LOG === "true",
});

export default { fetch: worker.fetch } satisfies ExportedHandler<Env>;
