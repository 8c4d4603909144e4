// What the Node-side global setup hands to the workerd tests (vitest's provide/inject), typed once for both.

/** The Istio-style identity the edge gateway tests run as (labels select the edge Gateway). */
export const EDGE_NODE_ID = "router~127.0.0.1~edge-worker-1.edge~edge.svc.cluster.local";

export interface WorkersTestContext {
  /** tests/conformance/upstream-server.ts: three behaviour ports and a closed one. */
  readonly upstreamPorts: readonly number[];
  readonly closedPort: number;
  /** A control server with a fixed edge snapshot for EDGE_NODE_ID (variant "a" routes to upstreamPorts[0]). */
  readonly fixedControlUrl: string;
  /** POST /stop, /start, /variant/<a|b> change the fixed control server (tests reach Node this way). */
  readonly fixedAdminUrl: string;
  /** A whole control plane over a directory of Istio YAML (Gateway istio=edgegateway, VirtualService). */
  readonly meshControlUrl: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    workers: WorkersTestContext;
  }
}
