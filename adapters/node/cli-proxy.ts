// `weft proxy -c <bootstrap>`: runs the proxy on Node with an admin server and graceful drain on SIGTERM.
import { parseCommandArgs } from "./cli.ts";
import { startNodeProxy } from "./start-proxy.ts";
import { WeftError } from "../../proxy/errors.ts";
import { adsBootstrap } from "../../proxy/config/ads-bootstrap.ts";
import { createConfigRegistry } from "../../proxy/config/registry.ts";
import { settleProxyHeap } from "./proxy-v8-flags.ts";

/** "a=1,b=2" → { a: "1", b: "2" }. */
export function parsePairs(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    const i = part.indexOf("=");
    if (i <= 0) throw new WeftError("config", `expected key=value, got "${part}"`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

const USAGE = `Usage: weft proxy -c <bootstrap.yaml> [options]
       weft proxy --xds <host:port> [identity options]

Runs a Weft sidecar or gateway from an Envoy v3 bootstrap (YAML or JSON): listeners, routes and
clusters in static_resources, and the admin interface in admin.address. An Envoy bootstrap that
uses only supported features runs unchanged; anything unsupported is rejected with the file,
field path and reason.

Options:
  -c, --config-path <file>   Bootstrap file (.yaml, .yml or .json). Required.
      --access-log           Print one access-log line per request (Envoy's default format).
      --drain-time-s <n>     On SIGTERM/SIGINT, seconds to let in-flight requests finish (default 5).
      --validate             Check the bootstrap and exit (0 = valid).

Following a control plane (instead of -c): an ADS bootstrap is generated for you.
      --xds <host:port>      The control plane's xDS address (e.g. 127.0.0.1:15010).
      --type <t>             sidecar (default) or router (an ingress gateway).
      --ip <addr>            This workload's IP (default 127.0.0.1); used in the node id.
      --pod <name>           Pod / instance name (default weft-proxy).
      --namespace <ns>       Namespace (default "default").
      --labels <k=v,...>     Workload labels, e.g. app=reviews,version=v2.
      --service-account <sa> Service account.
      --meta <k=v,...>       Extra node metadata (see docs/control-plane.md).
      --admin-port <port>    Serve the admin API on <ip>:<port>.
  -h, --help                 Show this help.

Example:
  weft proxy -c examples/front-proxy.yaml --access-log
`;

export async function runProxyCommand(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, {
    "config-path": { type: "string", short: "c" },
    "access-log": { type: "boolean" },
    "drain-time-s": { type: "string" },
    validate: { type: "boolean" },
    xds: { type: "string" },
    type: { type: "string" },
    ip: { type: "string" },
    pod: { type: "string" },
    namespace: { type: "string" },
    labels: { type: "string" },
    "service-account": { type: "string" },
    meta: { type: "string" },
    "admin-port": { type: "string" },
  }, USAGE);
  if (!args) return 2;
  const v = args.values as Record<string, string | boolean | undefined>;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const file = v["config-path"] as string | undefined;
  const xds = v.xds as string | undefined;
  if (!file === !xds) {
    console.error(`weft proxy: give either -c <bootstrap> or --xds <host:port>\n\n${USAGE}`);
    return 2;
  }
  const drainSeconds = v["drain-time-s"] === undefined ? 5 : Number(v["drain-time-s"]);
  if (!Number.isFinite(drainSeconds) || drainSeconds < 0) {
    console.error(`weft proxy: --drain-time-s must be a number of seconds, got "${v["drain-time-s"]}"`);
    return 2;
  }
  try {
    const bootstrap = xds
      ? adsBootstrap({
        xds,
        type: v.type === "router" ? "router" : "sidecar",
        ip: v.ip as string | undefined,
        podName: v.pod as string | undefined,
        namespace: v.namespace as string | undefined,
        labels: parsePairs(v.labels as string | undefined),
        serviceAccount: v["service-account"] as string | undefined,
        metadata: parsePairs(v.meta as string | undefined),
        adminPort: v["admin-port"] === undefined ? undefined : Number(v["admin-port"]),
      }, createConfigRegistry())
      : undefined;
    const running = await startNodeProxy({
      configPath: file,
      bootstrap,
      accessLog: Boolean(v["access-log"]),
      validateOnly: Boolean(v.validate),
    });
    if (!running) {
      console.log(`${file ?? "bootstrap"}: valid`);
      return 0;
    }
    settleProxyHeap();
    for (const l of running.proxy.listeners) console.log(`weft: listener ${l.name} on ${l.host}:${l.port}`);
    if (running.admin) console.log(`weft: admin on http://${running.admin.host}:${running.admin.port}/`);
    return await new Promise<number>((resolve) => {
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`weft: ${signal}: draining for up to ${drainSeconds}s`);
        await running.stop(drainSeconds * 1000);
        resolve(0);
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
      running.onQuit(() => stop("quitquitquit"));
    });
  } catch (err) {
    if (err instanceof WeftError) {
      console.error(`weft proxy: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
