// The control plane's monitoring port (Istio's 15014): Prometheus metrics, readiness, push status, config problems.
import { Hono } from "hono";
import type { ControlPlane } from "../control-plane.ts";
import { formatProblem } from "../config/problem.ts";

export function createMonitoringApp(cp: ControlPlane, isReady: () => boolean): Hono {
  const app = new Hono();
  app.get("/", (c) =>
    c.text(
      [
        "Weft control plane",
        "  /metrics               Prometheus metrics (pilot_xds, pilot_xds_pushes, pilot_total_xds_rejects, …)",
        "  /ready                 200 once the first config load finished",
        "  /debug/push_status     connected proxies: sent/acked versions per type, last NACK",
        "  /debug/config_problems config problems: the last load's (errors keep the previous config), then references",
        "  /debug/registry        services and endpoints from every registry",
        "",
      ].join("\n"),
    ));
  app.get(
    "/metrics",
    (c) => c.text(cp.metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" }),
  );
  app.get("/ready", (c) => (isReady() ? c.text("ready\n") : c.text("loading config\n", 503)));
  app.get("/debug/push_status", (c) => c.json(cp.status.toJSON()));
  app.get("/debug/config_problems", (c) => {
    // validation problems of the last load, then reference problems of the accepted config
    const problems = [...cp.problems(), ...cp.analysis()];
    if (c.req.query("format") === "json") return c.json({ version: cp.store.version, problems });
    return c.text(
      problems.length
        ? problems.map(formatProblem).join("\n") + "\n"
        : `no problems (config version ${cp.store.version})\n`,
    );
  });
  app.get("/debug/registry", (c) =>
    c.json({
      services: cp.registry.services().map((s) => ({
        ...s,
        instances: cp.registry.instances(s.hostname),
      })),
      conflicts: cp.registry.conflicts(),
    }));
  return app;
}
