// The Open Service Registry API as Connect handlers: Register / Heartbeat / Deregister / List / Watch with TTL leases.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Instance,
  InstanceSchema,
  type RegistryService,
  type WatchEvent,
  WatchEvent_Kind as Kind,
  WatchEventSchema,
} from "../../gen/weft/registry/v1/registry_pb.ts";
import type { Clock } from "../../proxy/runtime/types.ts";
import type { MemoryRegistry } from "../registry/memory.ts";
import { resolveHost } from "../config/host-names.ts";
import { parseProtocol } from "../registry/protocol.ts";
import { createLeaseTable, type Lease } from "./lease-table.ts";

const DEFAULT_TTL_S = 30;
const MAX_TTL_S = 3600;

export interface RegistrationOptions {
  readonly registry: MemoryRegistry;
  readonly clock: Clock;
  /** Wall-clock ms for expires_at timestamps (default Date.now). */
  readonly wallClock?: () => number;
  readonly domainSuffix?: string;
  /** How often leases are checked (default 500 ms): an expired instance leaves within one TTL plus this. */
  readonly sweepIntervalMs?: number;
}

export interface Registration {
  readonly service: ServiceImpl<typeof RegistryService>;
  /** Removes expired leases now (also runs on a timer). */
  sweep(): void;
  close(): void;
}

export function createRegistration(options: RegistrationOptions): Registration {
  const { registry, clock } = options;
  const wall = options.wallClock ?? (() => Date.now());
  const leases = createLeaseTable();
  const watchers = new Set<(e: WatchEvent) => void>();
  let counter = 0;

  const publish = (kind: Kind, lease: Lease) => {
    const event = create(WatchEventSchema, { kind, instance: withExpiry(lease) });
    for (const w of watchers) w(event);
  };
  const withExpiry = (lease: Lease): Instance =>
    create(InstanceSchema, {
      ...lease.instance,
      // clock.now() may be fractional (performance.now()): whole ms, or the Timestamp gets fractional nanos
      expiresAt: timestampFromMs(Math.round(wall() + (lease.expiresAt - clock.now()))),
    });

  const removeFromRegistry = (lease: Lease) => {
    const i = lease.instance;
    registry.removeInstance(lease.hostname, i.address, i.port);
    const stillServed = [...leases.all()].some((l) => l.hostname === lease.hostname);
    if (!stillServed) registry.removeService(lease.hostname);
  };

  const sweep = () => {
    for (const lease of leases.expire(clock.now())) {
      removeFromRegistry(lease);
      publish(Kind.EXPIRED, lease);
    }
  };
  const interval = options.sweepIntervalMs ?? 500;
  let timer = clock.setTimeout(function tick() {
    sweep();
    timer = clock.setTimeout(tick, interval);
  }, interval);

  const matches = (lease: Lease, service: string, namespace: string) =>
    !service || lease.hostname === resolveHost(service, namespace || "default", options.domainSuffix);

  const service: ServiceImpl<typeof RegistryService> = {
    register(req) {
      const i = req.instance;
      if (!i) throw new ConnectError("instance is required", Code.InvalidArgument);
      if (!i.service) {
        throw new ConnectError('instance.service is required (e.g. "orders")', Code.InvalidArgument);
      }
      if (!i.address) throw new ConnectError("instance.address is required", Code.InvalidArgument);
      if (!i.port || i.port > 65535) {
        throw new ConnectError("instance.port must be 1..65535", Code.InvalidArgument);
      }
      const ttl = i.ttlSeconds || DEFAULT_TTL_S;
      if (ttl > MAX_TTL_S) {
        throw new ConnectError(`instance.ttl_seconds must be at most ${MAX_TTL_S}`, Code.InvalidArgument);
      }
      const namespace = i.namespace || "default";
      const hostname = resolveHost(i.service, namespace, options.domainSuffix);
      const id = i.id || `${hostname}/${i.address}:${i.port}#${++counter}`;
      const existing = leases.get(id);
      const instance = create(InstanceSchema, {
        ...i,
        id,
        namespace,
        ttlSeconds: ttl,
        servicePort: i.servicePort || i.port,
        weight: i.weight || 1,
      });
      const lease: Lease = { instance, hostname, ttlMs: ttl * 1000, expiresAt: clock.now() + ttl * 1000 };
      leases.set(id, lease);
      const protocol = parseProtocol(i.protocol || "HTTP");
      const servicePort = instance.servicePort;
      const current = registry.services().find((s) => s.hostname === hostname);
      const ports = current?.ports.some((p) => p.port === servicePort)
        ? current.ports
        : [...(current?.ports ?? []), {
          name: `${protocol.toLowerCase()}-${servicePort}`,
          port: servicePort,
          protocol,
          targetPort: i.port,
        }];
      registry.upsertService({
        hostname,
        namespace,
        ports,
        resolution: "STATIC",
        external: false,
        registry: registry.name,
      });
      registry.upsertInstance({
        hostname,
        servicePort,
        address: i.address,
        port: i.port,
        labels: { ...i.labels },
        namespace,
        serviceAccount: i.serviceAccount || undefined,
        workloadName: i.labels.app,
        weight: instance.weight,
        healthy: true,
        registry: registry.name,
      });
      publish(existing ? Kind.UPDATED : Kind.ADDED, lease);
      return { instance: withExpiry(lease) };
    },
    heartbeat(req) {
      const lease = leases.get(req.id);
      if (!lease) {
        throw new ConnectError(
          `no registration with id "${req.id}" (expired or never registered): call Register again`,
          Code.NotFound,
        );
      }
      lease.expiresAt = clock.now() + lease.ttlMs;
      return { expiresAt: timestampFromMs(wall() + lease.ttlMs) };
    },
    deregister(req) {
      const lease = leases.delete(req.id);
      if (!lease) throw new ConnectError(`no registration with id "${req.id}"`, Code.NotFound);
      removeFromRegistry(lease);
      publish(Kind.REMOVED, lease);
      return {};
    },
    list(req) {
      return {
        instances: [...leases.all()].filter((l) => matches(l, req.service, req.namespace)).map(withExpiry),
      };
    },
    async *watch(req, ctx) {
      const queue: WatchEvent[] = [];
      let wake: (() => void) | undefined;
      const push = (e: WatchEvent) => {
        if (
          e.instance &&
          !matches(
            {
              hostname: resolveHost(e.instance.service, e.instance.namespace, options.domainSuffix),
            } as Lease,
            req.service,
            req.namespace,
          )
        ) return;
        queue.push(e);
        wake?.();
      };
      for (const l of leases.all()) {
        if (matches(l, req.service, req.namespace)) {
          queue.push(create(WatchEventSchema, { kind: Kind.ADDED, instance: withExpiry(l) }));
        }
      }
      watchers.add(push);
      try {
        while (!ctx.signal.aborted) {
          while (queue.length) yield queue.shift()!;
          await new Promise<void>((resolve) => {
            wake = resolve;
            ctx.signal.addEventListener("abort", () => resolve(), { once: true });
          });
          wake = undefined;
        }
      } finally {
        watchers.delete(push);
      }
    },
  };
  return {
    service,
    sweep,
    close() {
      clock.clearTimeout(timer);
      watchers.clear();
    },
  };
}
