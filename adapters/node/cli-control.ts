// `weft control --config <dir>`: the control plane alone (Istio YAML in, xDS out).
import { parseCommandArgs } from "./cli.ts";
import { ControlThreadFailed, startControlThread } from "./control-thread.ts";
import { WeftError } from "../../proxy/errors.ts";
import { parseDurationMs } from "../../control/config/duration.ts";

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
  --debounce-after <d>      Quiet time after a change before pushing, e.g. 10ms (default 100ms; Istio's
                            PILOT_DEBOUNCE_AFTER). Shorter: faster convergence, more pushes in a burst.
  --debounce-max <d>        Push at the latest this long after the first change of a burst (default 10s;
                            Istio's PILOT_DEBOUNCE_MAX).
  -h, --help                Show this help.

Proxies connect with: weft proxy --xds 127.0.0.1:15010 --labels app=<app>,version=<v>
`;

/** The longest delay a JavaScript timer takes (2^31 − 1 ms); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export async function runControlCommand(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, {
    config: { type: "string" },
    host: { type: "string" },
    "xds-port": { type: "string" },
    "monitoring-port": { type: "string" },
    "debounce-after": { type: "string" },
    "debounce-max": { type: "string" },
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
  const ports: Record<string, number | undefined> = {};
  for (const flag of ["xds-port", "monitoring-port"]) {
    const text = v[flag] as string | undefined;
    if (text === undefined) continue;
    if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
      console.error(
        `weft control: --${flag}: "${text}" is not a port; give a number from 0 to 65535 (0: any free one)`,
      );
      return 2;
    }
    ports[flag] = Number(text);
  }
  const debounce: Record<string, number | undefined> = {};
  for (const flag of ["debounce-after", "debounce-max"]) {
    const text = v[flag] as string | undefined;
    if (text === undefined) continue;
    const ms = parseDurationMs(text);
    if (ms === undefined || (flag === "debounce-max" && ms <= 0)) {
      console.error(
        `weft control: --${flag}: "${text}" is not a ${flag === "debounce-max" ? "positive " : ""}` +
          `duration; write it like 10ms, 1s or 1.5s`,
      );
      return 2;
    }
    if (ms > MAX_TIMER_MS) {
      console.error(
        `weft control: --${flag}: "${text}" is too long; at most 24 days (timers cannot wait longer)`,
      );
      return 2;
    }
    debounce[flag] = ms;
  }
  const [after, max] = [debounce["debounce-after"], debounce["debounce-max"]];
  if (after !== undefined && max !== undefined && after > max) {
    console.error(
      `weft control: --debounce-after (${v["debounce-after"]}) is longer than --debounce-max ` +
        `(${v["debounce-max"]}): a push would never wait for quiet; shorten one of them`,
    );
    return 2;
  }
  // Handled from now on: a SIGTERM while the control plane starts stops it once it is up.
  let stopRequested: (() => void) | undefined;
  const stopSignal = new Promise<void>((resolve) => stopRequested = resolve);
  process.once("SIGTERM", () => stopRequested?.());
  process.once("SIGINT", () => stopRequested?.());
  let running;
  try {
    running = await startControlThread({
      configDir: v.config as string,
      host: v.host as string | undefined,
      xdsPort: ports["xds-port"],
      monitoringPort: ports["monitoring-port"],
      quietMs: debounce["debounce-after"],
      maxDelayMs: debounce["debounce-max"],
    });
  } catch (err) {
    if (err instanceof WeftError) console.error(`weft control: ${err.message}`);
    else if (!(err instanceof ControlThreadFailed)) throw err;
    else if (!err.printed) console.error(`weft control: the control plane failed: ${err.message}`);
    return 1;
  }
  const thread = running;
  // Either a signal (stop; 0 if it stopped cleanly) or a crash (printed already: 1).
  return await new Promise<number>((resolve) => {
    let stopping = false;
    void stopSignal.then(async () => {
      stopping = true;
      resolve((await thread.close()) === 0 ? 0 : 1);
    });
    void thread.exited.then(() => !stopping && resolve(1));
  });
}
