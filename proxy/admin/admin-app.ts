// The proxy's Envoy-style admin API as a Hono app: readiness, server info, config dump, clusters, stats.
import { Hono } from "hono";
import type { Context } from "hono";
import type { Proxy } from "../proxy.ts";
import { formatClustersJson, formatClustersText } from "./clusters-status.ts";
import {
  formatStatsJson,
  formatStatsPrometheus,
  formatStatsText,
  parseStatsQuery,
  selectStats,
} from "./stats-format.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus-exposition.ts";

/** What the admin API needs the runtime to do or tell; the runtime (adapter / CLI) implements it. */
export interface AdminControls {
  /** Shut the process down (`POST /quitquitquit`); called once, after the response is produced. */
  quit(): void;
  /** Stop accepting on the listeners (`POST /drain_listeners`). */
  drainListeners(options?: { readonly graceful: boolean; readonly inboundOnly: boolean }): void;
  readonly version: string;
  /** Applies a log level; false if the runtime refuses it. Absent: levels cannot be changed. */
  setLogLevel?(level: string): boolean;
  logLevel(): string;
  /** The running config as Envoy's ConfigDump JSON (needs the protobuf registry, so the caller builds it). */
  configDump(): unknown;
  /** Wall clock in ms for uptime; `Date.now` by default. */
  now?(): number;
}

export const LOG_LEVELS: readonly string[] = [
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "critical",
  "off",
];

interface Endpoint {
  readonly path: string;
  readonly method: "GET" | "POST";
  readonly help: string;
}

const ENDPOINTS: readonly Endpoint[] = [
  { path: "/", method: "GET", help: "this list of admin endpoints" },
  { path: "/clusters", method: "GET", help: "upstream clusters and hosts (?format=json)" },
  { path: "/config_dump", method: "GET", help: "the running configuration as JSON" },
  { path: "/drain_listeners", method: "POST", help: "stop accepting on all listeners (?graceful)" },
  { path: "/healthcheck/fail", method: "POST", help: "fail readiness: /ready answers 503 DRAINING" },
  { path: "/healthcheck/ok", method: "POST", help: "undo /healthcheck/fail" },
  { path: "/listeners", method: "GET", help: "listeners and their addresses (?format=json)" },
  { path: "/logging", method: "GET", help: "the log level; POST ?level=<level> changes it" },
  { path: "/quitquitquit", method: "POST", help: "exit the server" },
  { path: "/ready", method: "GET", help: "LIVE (200) or DRAINING (503)" },
  { path: "/server_info", method: "GET", help: "version, state, uptime and node as JSON" },
  { path: "/stats", method: "GET", help: "stats as text (?filter=<regex>&usedonly&format=json|prometheus)" },
  { path: "/stats/prometheus", method: "GET", help: "stats in Prometheus text exposition format" },
];

const INDEX = "admin commands are:\n" +
  ENDPOINTS.map((e) => `  ${e.method === "POST" ? "POST " : "     "}${e.path.padEnd(18)} ${e.help}`).join(
    "\n",
  ) + "\n";

export function createAdminApp(proxy: Proxy, controls: AdminControls): Hono {
  const app = new Hono();
  const now = () => controls.now?.() ?? Date.now();
  let healthCheckFailed = false;
  let listenersDrained = false;
  let quitting = false;
  const state = () => (healthCheckFailed || listenersDrained ? "DRAINING" : "LIVE");

  app.use(async (c, next) => {
    await next();
    c.header("cache-control", "no-cache, max-age=0");
    c.header("x-content-type-options", "nosniff");
  });

  app.get("/", (c) => c.text(INDEX));
  app.get("/help", (c) => c.text(INDEX));

  app.get("/ready", (c) => c.text(`${state()}\n`, state() === "LIVE" ? 200 : 503));

  app.get("/server_info", (c) => {
    const node = proxy.bootstrap.node;
    const uptime = `${Math.max(0, Math.floor((now() - proxy.startedAt) / 1000))}s`;
    return json(c, {
      version: controls.version,
      state: state(),
      uptime_current_epoch: uptime,
      uptime_all_epochs: uptime,
      node: { id: node?.id ?? "", cluster: node?.cluster ?? "" },
      command_line_options: {},
    });
  });

  app.get("/config_dump", (c) => json(c, controls.configDump()));

  app.get("/clusters", (c) => {
    const clusters = [...proxy.clusters.all()];
    return c.req.query("format") === "json"
      ? json(c, formatClustersJson(clusters))
      : c.text(formatClustersText(clusters));
  });

  app.get("/listeners", (c) => {
    if (c.req.query("format") === "json") {
      return json(c, {
        listener_statuses: proxy.listeners.map((l) => ({
          name: l.name,
          local_address: { socket_address: { address: l.host, port_value: l.port } },
        })),
      });
    }
    return c.text(proxy.listeners.map((l) => `${l.name}::${l.host}:${l.port}\n`).join(""));
  });

  const stats = (c: Context, format: string | undefined) => {
    const query = parseStatsQuery((name) => c.req.query(name));
    if (typeof query === "string") return c.text(query + "\n", 400);
    const selected = selectStats(proxy.stats, query);
    if (format === "json") return json(c, formatStatsJson(selected));
    if (format === "prometheus") {
      const knownNames = {
        cluster: [...proxy.clusters.all()].map((cl) => cl.name),
        listener: proxy.listeners.map((l) => l.name),
      };
      return c.body(formatStatsPrometheus(selected, { knownNames }), 200, {
        "content-type": PROMETHEUS_CONTENT_TYPE,
      });
    }
    if (format !== undefined && format !== "text") return c.text(`unsupported format "${format}"\n`, 400);
    return c.text(formatStatsText(selected));
  };
  app.get("/stats", (c) => stats(c, c.req.query("format")));
  app.get("/stats/prometheus", (c) => stats(c, "prometheus"));

  app.post("/drain_listeners", (c) => {
    listenersDrained = true;
    const graceful = c.req.query("graceful") !== undefined;
    controls.drainListeners({ graceful, inboundOnly: c.req.query("inboundonly") !== undefined });
    return c.text("OK\n");
  });
  app.post("/healthcheck/fail", (c) => {
    healthCheckFailed = true;
    return c.text("OK\n");
  });
  app.post("/healthcheck/ok", (c) => {
    healthCheckFailed = false;
    return c.text("OK\n");
  });
  app.post("/quitquitquit", (c) => {
    if (!quitting) {
      quitting = true;
      setTimeout(() => controls.quit(), 0);
    }
    return c.text("OK\n");
  });

  const loggers = () => `active loggers:\n  weft: ${controls.logLevel()}\n`;
  app.get("/logging", (c) => c.text(loggers()));
  app.post("/logging", (c) => {
    const params = Object.keys(c.req.query());
    if (params.length === 0) return c.text(loggers());
    const level = c.req.query("level");
    if (params.length > 1 || level === undefined) {
      return c.text(`usage: /logging?level=<level> (one of: ${LOG_LEVELS.join(", ")})\n`, 400);
    }
    const normalized = level === "warn" ? "warning" : level;
    if (!LOG_LEVELS.includes(normalized)) {
      return c.text(`unknown log level "${level}"; valid levels: ${LOG_LEVELS.join(", ")}\n`, 400);
    }
    if (!controls.setLogLevel) {
      return c.text("changing the log level is not supported by this runtime\n", 501);
    }
    if (!controls.setLogLevel(normalized)) return c.text(`log level "${normalized}" was refused\n`, 400);
    return c.text(loggers());
  });

  for (const e of ENDPOINTS) {
    const required = e.method;
    app.all(e.path, (c) => {
      if (required === "POST") return c.text(`Method ${c.req.method} not allowed, POST required.\n`, 405);
      return c.text(`Method ${c.req.method} not allowed, GET required.\n`, 405);
    });
  }
  app.notFound((c) => c.text(`invalid path. ${INDEX}`, 404));
  app.onError((err, c) => c.text(`admin handler failed: ${err.message}\n`, 500));
  return app;
}

function json(c: Context, value: unknown): Response {
  return c.body(JSON.stringify(value, null, 2) + "\n", 200, { "content-type": "application/json" });
}
