// The weft CLI: `weft proxy`, `weft demo`, `weft version`, with --help for each.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { VERSION } from "./version.ts";
import { applyProxyV8Flags } from "./proxy-v8-flags.ts";

const USAGE = `weft ${VERSION} — a service mesh: one proxy core, Envoy xDS v3 config, Istio's YAML.

Usage: weft <command> [options]

Commands:
  proxy     Run a sidecar / gateway proxy from an Envoy bootstrap, or following a control plane (--xds).
  control   Run the control plane: Istio YAML in a watched directory → Envoy xDS over ADS.
  analyze   Check a directory of Istio YAML like istioctl analyze (exit 1 on errors).
  demo      Run the local demo mesh (control plane, Bookinfo services, sidecars, gateway) you can curl.
  version   Print the version.

Run 'weft <command> --help' for a command's options.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Each command is loaded on demand: a sidecar does not load (or keep in memory) the control plane.
  switch (command) {
    case "proxy":
      applyProxyV8Flags();
      return await (await import("./cli-proxy.ts")).runProxyCommand(rest);
    case "demo":
      return await (await import("./cli-demo.ts")).runDemoCommand(rest);
    case "control":
      return await (await import("./cli-control.ts")).runControlCommand(rest);
    case "analyze":
      return await (await import("./cli-analyze.ts")).runAnalyzeCommand(rest);
    case "version":
    case "--version":
      console.log(VERSION);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return 0;
    default:
      console.error(`weft: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

/** Parses options strictly; an unknown flag is an error that shows the command's help. */
export function parseCommandArgs(
  argv: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  usage: string,
) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    return undefined;
  }
}
