// createControlPlane: stores → registries → aggregate → push context → translate → snapshot cache → xDS pipeline.
import type { ConnectRouter } from "@connectrpc/connect";
import { RegistryService } from "../gen/weft/registry/v1/registry_pb.ts";
import type { Clock, TimerHandle } from "../proxy/runtime/types.ts";
import type { ProxyIdentity } from "./model/types.ts";
import { type ConfigStore, createConfigStore } from "./config/config-store.ts";
import {
  createDirectorySource,
  type DirectorySource,
  type FileSystemPort,
} from "./config/directory-source.ts";
import { type ConfigProblem, formatProblem } from "./config/problem.ts";
import { analyze } from "./config/analyze.ts";
import { createKubernetesRegistry } from "./registry/kubernetes.ts";
import { createServiceEntryRegistry } from "./registry/service-entry.ts";
import { createMemoryRegistry, type MemoryRegistry } from "./registry/memory.ts";
import { type AggregateRegistry, createAggregateRegistry } from "./registry/aggregate.ts";
import { type PushContext, pushContextFromRegistry } from "./push-context/push-context.ts";
import { buildProxyResources } from "./translate/proxy-resources.ts";
import { warmUp } from "./warm-up.ts";
import { applyLocalBindings } from "./translate/local-bindings.ts";
import { createSnapshotCache, type SnapshotCache } from "./xds/snapshot-cache.ts";
import { createMetrics, type Metrics } from "./xds/metrics.ts";
import { createPushStatus, type PushStatus } from "./xds/push-status.ts";
import { createXdsPipeline, type XdsPipeline } from "./xds/pipeline.ts";
import { createSendLimiter } from "./xds/send-limiter.ts";

/** Streams writing a response at once, and how long one may hold its slot (see send-limiter.ts). */
const SEND_SLOTS = 100;
const SEND_HOLD_MS = 250;
import { adsRoutes } from "./xds/ads-service.ts";
import { edgeConfigRoutes } from "./edge/edge-config-service.ts";
import { createRegistration, type Registration } from "./registration/registration-service.ts";

export interface ControlPlaneOptions {
  readonly clock: Clock;
  /** Wall-clock milliseconds (status, metrics, lease timestamps). */
  readonly now: () => number;
  readonly fs: FileSystemPort;
  /** The watched directory of Istio / Kubernetes YAML. */
  readonly configDir: string;
  readonly log: (line: string) => void;
  readonly domainSuffix?: string;
  /** Debounce (default 100 ms quiet, 10 s max). */
  readonly quietMs?: number;
  readonly maxDelayMs?: number;
}

export interface ControlPlane {
  readonly store: ConfigStore;
  readonly registry: AggregateRegistry;
  readonly registrations: MemoryRegistry;
  readonly registration: Registration;
  readonly cache: SnapshotCache;
  readonly pipeline: XdsPipeline;
  readonly status: PushStatus;
  readonly metrics: Metrics;
  /** Connect routes: ADS, the edge config API and the registration API. */
  routes(router: ConnectRouter): void;
  /** The push context now (rebuilt lazily after changes). */
  pushContext(): PushContext;
  /** Problems of the last config load (errors mean the previous config is still in force). */
  problems(): readonly ConfigProblem[];
  /**
   * Reference problems of the accepted config (`weft analyze`: missing hosts and subsets, …). The config is in
   * the store, but a proxy whose translation would refer to something missing keeps its last good snapshot.
   */
  analysis(): readonly ConfigProblem[];
  /** Loads the directory and starts watching; resolves with the first load's problems. */
  start(): Promise<readonly ConfigProblem[]>;
  /**
   * After `start`, before serving: translates one throw-away sidecar snapshot (control/warm-up.ts). Returns how
   * many resources it held, or undefined when no valid config is loaded (nothing to warm up on) or translation
   * failed — logged, never thrown: a proxy's push meets and reports the same failure, and keeps its last config.
   */
  warmUp(): number | undefined;
  /** A push is waiting for its quiet period, running, or still being sent (streams hold or wait for send slots). */
  busy(): boolean;
  close(): void;
}

export function createControlPlane(options: ControlPlaneOptions): ControlPlane {
  const { clock, log } = options;
  const domainSuffix = options.domainSuffix ?? "cluster.local";
  const store = createConfigStore({
    onSubscriberError: (err) => log(`config subscriber failed: ${(err as Error).message}`),
  });
  const kube = createKubernetesRegistry({ domainSuffix });
  const serviceEntries = createServiceEntryRegistry();
  const registrations = createMemoryRegistry();
  const registry = createAggregateRegistry([kube, serviceEntries, registrations]);
  const registration = createRegistration({
    registry: registrations,
    clock,
    wallClock: options.now,
    domainSuffix,
  });
  const metrics = createMetrics();
  const status = createPushStatus({ metrics, now: options.now });
  const cache = createSnapshotCache();
  const warned = new Set<string>();
  let push: PushContext | undefined;

  /** The last push context built: the next one starts from its instance index. */
  let previousPush: PushContext | undefined;
  const pushContext = () =>
    push ??= previousPush = pushContextFromRegistry(registry, store.snapshot(), {
      domainSuffix,
      previous: previousPush,
    });
  // Until one config load succeeds nothing is published: a control plane restarted with broken config
  // must not push an empty snapshot that would make every reconnecting proxy drop its routes.
  let loaded = false;
  const generate = (identity: ProxyIdentity) => {
    if (!loaded) {
      throw new Error(`no valid config loaded yet from ${options.configDir}; proxies keep their last config`);
    }
    const resources = applyLocalBindings(buildProxyResources(pushContext(), identity), identity);
    for (const w of resources.warnings) {
      if (!warned.has(w)) {
        warned.add(w);
        log(`warning: ${w}`);
      }
    }
    return resources;
  };
  const pipeline = createXdsPipeline({
    generate,
    cache,
    // Push status and its metrics measure wall-clock time (options.now); the pipeline's timestamps must match.
    clock: { now: options.now, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout },
    status,
    quietMs: options.quietMs ?? 100,
    maxDelayMs: options.maxDelayMs ?? 10_000,
    onError: (err) => log(`push failed: ${(err as Error).message}`),
    // The quiet period starts when a file changes (onChangeSeen below); the push waits for the reload.
    beforePush: () => source.idle(),
    // Snapshots prepared during the quiet period are published if the push context is still this one.
    generation: () => push,
  });
  /** `extend: false` for what follows from a file change already counted by the debouncer. */
  let preparing: TimerHandle | undefined;
  const invalidate = (reason: string, extend = true) => {
    push = undefined;
    pipeline.requestPush(reason, { extend });
    // Build the next push context, then every proxy's next snapshot, while the debouncer waits for quiet (the
    // push then only publishes what is still current). A failure here is left for the push to meet and report.
    preparing ??= clock.setTimeout(() => {
      preparing = undefined;
      try {
        if (!loaded) return;
        pushContext();
      } catch {
        return; // reported by the push
      }
      void pipeline.prepare();
    }, 0);
  };
  store.onChange((snapshot) => {
    loaded = true;
    // By kind: the registries tell an edit of one kind's few objects from a new mesh by the arrays they get.
    kube.replace(snapshot);
    serviceEntries.replace(snapshot);
    invalidate(`config version ${snapshot.version}`, false);
  });
  // File-fed registries change because the config did; the registration API's changes are events of their own.
  registry.onChange((event) =>
    invalidate(
      `registry ${event.registry}: ${event.hostnames.join(", ") || "all"}`,
      event.registry === registrations.name,
    )
  );

  const source: DirectorySource = createDirectorySource({
    fs: options.fs,
    dir: options.configDir,
    store,
    log,
    onChangeSeen: () => pipeline.requestPush("config files changed"),
  });
  const sendLimiter = createSendLimiter(SEND_SLOTS, SEND_HOLD_MS, clock);
  const xdsConfig = {
    cache,
    provider: pipeline.provider,
    status,
    now: options.now,
    sendLimiter,
  };
  return {
    store,
    registry,
    registrations,
    registration,
    cache,
    pipeline,
    status,
    metrics,
    routes(router) {
      adsRoutes(xdsConfig)(router);
      edgeConfigRoutes(xdsConfig)(router);
      router.service(RegistryService, registration.service);
    },
    pushContext,
    problems: () => store.problems(),
    analysis: () => analyze(store.snapshot(), registrations.services()),
    async start() {
      const problems = await source.start();
      if (!problems.some((p) => p.severity === "error")) loaded = true;
      for (const c of registry.conflicts()) log(`registry conflict: ${c.message}`);
      if (problems.some((p) => p.severity === "error")) {
        log(`config in ${options.configDir} has errors; nothing from it is pushed until they are fixed:`);
        for (const p of problems) log(`  ${formatProblem(p)}`);
      }
      return problems;
    },
    warmUp: () => loaded ? warmUp(pushContext, log) : undefined,
    busy: () => {
      if (pipeline.busy()) return true;
      const sending = sendLimiter.stats();
      return sending.active > 0 || sending.waiting > 0;
    },
    close() {
      source.stop();
      registration.close();
      pipeline.close();
      if (preparing !== undefined) clock.clearTimeout(preparing);
    },
  };
}
