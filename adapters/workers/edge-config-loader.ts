// Keeps an edge proxy's config current without a background loop: lazy refresh on requests, last good config kept.
import type { EdgeConfig } from "../../gen/weft/edge/v1/edge_pb.ts";
import type { EdgeConfigSource, EdgeConfigStore } from "./edge-config-source.ts";

export interface EdgeConfigLoaderOptions {
  readonly source: EdgeConfigSource;
  /** Applies a config to the proxy; throws when the config is rejected (the previous one stays). */
  readonly apply: (config: EdgeConfig) => Promise<void>;
  /** Where the last good config survives isolate restarts; used when the source cannot be reached. */
  readonly store?: EdgeConfigStore;
  /** A refresh is due this long after the last attempt (default 10 s). */
  readonly refreshMs?: number;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export interface EdgeConfigLoader {
  /** The version in force ("" before the first config). */
  readonly version: string;
  /** Where that version came from. */
  readonly origin: "none" | "control-plane" | "store";
  /**
   * Before serving a request: with no config yet, waits for an attempt (shared by concurrent callers); with one,
   * returns at once, with the refresh it started when one was due (hand it to ctx.waitUntil).
   */
  beforeRequest(): Promise<{ readonly refresh?: Promise<void> }>;
  /** Fetches now (shared with an attempt in flight). Never rejects. */
  refresh(): Promise<void>;
}

export function createEdgeConfigLoader(options: EdgeConfigLoaderOptions): EdgeConfigLoader {
  const { source, store, now, log } = options;
  const refreshMs = options.refreshMs ?? 10_000;
  let version = "";
  let origin: EdgeConfigLoader["origin"] = "none";
  /** The last version offered, applied or rejected: a rejected version is not fetched again. */
  let seen = "";
  let lastAttempt = -Infinity;
  let failing = false;
  let storeTried = false;
  let inflight: Promise<void> | undefined;

  async function install(config: EdgeConfig, from: "control-plane" | "store"): Promise<boolean> {
    seen = config.version;
    try {
      await options.apply(config);
    } catch (err) {
      log(
        `edge config ${config.version} from the ${from} rejected: ${(err as Error).message}; ` +
          `keeping ${version || "no config"}`,
      );
      return false;
    }
    version = config.version;
    origin = from;
    return true;
  }

  async function attempt(): Promise<void> {
    lastAttempt = now();
    let config: EdgeConfig | undefined;
    try {
      config = await source.fetch(seen);
    } catch (err) {
      lastAttempt = now();
      if (!failing) {
        failing = true;
        log(
          `edge config: control plane unreachable (${(err as Error).message}); ` +
            `keeping ${version ? `version ${version}` : "no config"} until it answers`,
        );
      }
      if (version === "" && store && !storeTried) {
        storeTried = true;
        const stored = await store.load().catch(() => undefined);
        if (stored && (await install(stored, "store"))) {
          log(`edge config: serving stored version ${stored.version}`);
        }
      }
      return;
    }
    lastAttempt = now();
    if (failing) {
      failing = false;
      log(`edge config: control plane reachable again`);
    }
    if (config && (await install(config, "control-plane")) && store) {
      await store.save(config).catch((err) => log(`edge config: saving to the store failed: ${err}`));
    }
  }

  function refresh(): Promise<void> {
    inflight ??= attempt().finally(() => inflight = undefined);
    return inflight;
  }

  const due = () => now() - lastAttempt >= refreshMs;

  return {
    get version() {
      return version;
    },
    get origin() {
      return origin;
    },
    async beforeRequest() {
      if (version === "") {
        if (inflight || due()) await refresh();
        return {};
      }
      return due() ? { refresh: refresh() } : {};
    },
    refresh,
  };
}
