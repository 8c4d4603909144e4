// `weft control --config <dir>`: the control plane alone (Istio YAML in, xDS out).
import { parseCommandArgs } from "./cli.ts";
import { startNodeControlPlane } from "./start-control.ts";
import { WeftError } from "../../proxy/errors.ts";

const USAGE = `Usage: weft control --config <dir> [options]

Runs Weft's control plane: watches a directory of Istio and Kubernetes YAML (VirtualService,
DestinationRule, Gateway, ServiceEntry, WorkloadEntry, Sidecar, Service, EndpointSlice, Pod, …),
translates it into Envoy xDS v3 per proxy and serves it over ADS. Edits take effect within a second;
a file with errors is reported (file, line, field) and nothing from it is pushed until it is fixed.

Options:
  --config <dir>            The config directory (watched, recursive). Required.
  --host <addr>             Address to listen on (default 127.0.0.1; 0.0.0.0 in a cluster).
  --xds-port <port>         xDS (ADS over gRPC, plaintext) and the registration API (default 15010).
  --monitoring-port <port>  /metrics, /ready and /debug/* (default 15014).
  -h, --help                Show this help.

Proxies connect with: weft proxy --xds 127.0.0.1:15010 --labels app=<app>,version=<v>
`;

export async function runControlCommand(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, {
    config: { type: "string" },
    host: { type: "string" },
    "xds-port": { type: "string" },
    "monitoring-port": { type: "string" },
  }, USAGE);
  if (!args) return 2;
  const v = args.values as Record<string, string | boolean | undefined>;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (!v.config) {
    console.error(`weft control: --config <dir> is required\n\n${USAGE}`);
    return 2;
  }
  try {
    const running = await startNodeControlPlane({
      configDir: v.config as string,
      host: v.host as string | undefined,
      xdsPort: v["xds-port"] === undefined ? undefined : Number(v["xds-port"]),
      monitoringPort: v["monitoring-port"] === undefined ? undefined : Number(v["monitoring-port"]),
    });
    console.log(
      `weft control: xDS on :${running.xdsPort}, monitoring on :${running.monitoringPort}, config ${v.config}`,
    );
    return await new Promise<number>((resolve) => {
      const stop = async () => {
        await running.close();
        resolve(0);
      };
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
  } catch (err) {
    if (err instanceof WeftError) {
      console.error(`weft control: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
