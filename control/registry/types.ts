// The service-registry contract: what Kubernetes, ServiceEntry, registration and aggregate registries expose.
import type { Service, ServiceInstance, Workload } from "../model/types.ts";

/** What changed in a registry: the hostnames whose service or instances changed ([] = unknown, treat as all). */
export interface RegistryEvent {
  readonly registry: string;
  readonly hostnames: readonly string[];
}

export type RegistryListener = (event: RegistryEvent) => void;

/** A source of services, their instances and workloads. Reads are cheap and return snapshots. */
export interface ServiceRegistry {
  /** "kubernetes", "serviceentry", "registration", "aggregate", … (also the `registry` field of what it produces). */
  readonly name: string;
  services(): Service[];
  instances(hostname: string): ServiceInstance[];
  workloads(): Workload[];
  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(cb: RegistryListener): () => void;
}

/** Two registries define the same hostname with different ports: the lower-precedence definition is dropped. */
export interface RegistryConflict {
  readonly hostname: string;
  /** The registry whose definition is used. */
  readonly kept: string;
  /** The registry whose definition is ignored. */
  readonly dropped: string;
  readonly message: string;
}
