// An upstream endpoint as the load balancers and the router see it.
export interface Host {
  /** "address:port", unique within a cluster. */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  /** load_balancing_weight (≥ 1). */
  readonly weight: number;
  /** Locality/priority are not modelled yet; all hosts share priority 0. */
  healthy: boolean;
  /** Requests in flight to this host (LEAST_REQUEST reads it). */
  activeRequests: number;
}

export function createHost(address: string, port: number, weight = 1): Host {
  return {
    key: `${address}:${port}`,
    address,
    port,
    weight: Math.max(1, weight),
    healthy: true,
    activeRequests: 0,
  };
}
