// `deno run -A adapters/deno/cli.ts -c <bootstrap>`: runs a Weft proxy on Deno with the admin API.
import { toJson } from "@bufbuild/protobuf";
import { BootstrapSchema } from "../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import { createProxy } from "../../proxy/proxy.ts";
import { loadBootstrap } from "../../proxy/config/load-bootstrap.ts";
import { createConfigRegistry } from "../../proxy/config/registry.ts";
import { createAdminApp, LOG_LEVELS } from "../../proxy/admin/admin-app.ts";
import { isWeftError, WeftError } from "../../proxy/errors.ts";
import { createDenoRuntime } from "./runtime.ts";

const USAGE = `Usage: deno run -A adapters/deno/cli.ts -c <bootstrap.yaml> [options]

Runs a Weft proxy on Deno from an Envoy v3 bootstrap (YAML or JSON).

Options:
  -c, --config <file>    The bootstrap file (required).
  --access-log           Print an access-log line per request.
  --validate             Parse and validate the bootstrap, then exit.
  --drain-time-s <n>     On SIGTERM/SIGINT, seconds to let in-flight requests finish (default 5).
  -h, --help             This help.

What the Deno runtime can and cannot do: docs/runtimes.md.
`;

interface Args {
  config?: string;
  accessLog: boolean;
  validate: boolean;
  drainSeconds: number;
  help: boolean;
}

export function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { accessLog: false, validate: false, drainSeconds: 5, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === "-c" || a === "--config") args.config = value();
      else if (a.startsWith("--config=")) args.config = a.slice(9);
      else if (a === "--access-log") args.accessLog = true;
      else if (a === "--validate") args.validate = true;
      else if (a === "--drain-time-s") args.drainSeconds = Number(value());
      else if (a === "-h" || a === "--help") args.help = true;
      else return `unknown option ${a}`;
    } catch (err) {
      return (err as Error).message;
    }
  }
  if (!Number.isFinite(args.drainSeconds) || args.drainSeconds < 0) return "--drain-time-s must be a number";
  if (!args.help && !args.config) return "-c <bootstrap> is required";
  return args;
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    console.error(`weft (deno): ${args}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const registry = createConfigRegistry();
  try {
    const text = await Deno.readTextFile(args.config!).catch((err: Error) => {
      throw new WeftError("config", `cannot read bootstrap ${args.config}: ${err.message}`);
    });
    const bootstrap = loadBootstrap(text, args.config!, registry);
    if (args.validate) {
      console.log(`${args.config}: ok`);
      return 0;
    }
    const proxy = await createProxy({ runtime: createDenoRuntime(), bootstrap, accessLog: args.accessLog });
    let level = "info";
    let admin: Deno.HttpServer<Deno.NetAddr> | undefined;
    const done = Promise.withResolvers<void>();
    const addr = bootstrap.admin?.address?.address;
    if (addr?.case === "socketAddress" && addr.value.portSpecifier.case === "portValue") {
      const app = createAdminApp(proxy, {
        version: "deno",
        quit: () => done.resolve(),
        drainListeners: () => proxy.listeners.forEach((l) => l.drain()),
        logLevel: () => level,
        setLogLevel: (l) => LOG_LEVELS.includes(l) && Boolean(level = l),
        configDump: () => ({
          configs: [{
            "@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",
            bootstrap: toJson(BootstrapSchema, bootstrap, { registry }),
          }],
        }),
      });
      admin = Deno.serve(
        { hostname: addr.value.address, port: addr.value.portSpecifier.value, onListen() {} },
        app.fetch,
      );
      console.log(`weft: admin on http://${addr.value.address}:${admin.addr.port}`);
    }
    for (const l of proxy.listeners) console.log(`weft: listener ${l.name} on ${l.host}:${l.port}`);
    for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => done.resolve());
    await done.promise;
    console.log(`weft: draining for up to ${args.drainSeconds}s`);
    // Deno.serve's graceful shutdown waits for in-flight responses; a stream that never ends must not
    // keep the process alive past the drain time.
    const drainMs = args.drainSeconds * 1000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs + 1000)));
    await Promise.race([Promise.all([proxy.drain(drainMs), admin?.shutdown()]), deadline]);
    clearTimeout(timer);
    return 0;
  } catch (err) {
    console.error(`weft (deno): ${isWeftError(err) ? err.message : (err as Error).stack ?? err}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
