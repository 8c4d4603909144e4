// Access log lines in Envoy's default format, with response flags (enabled per proxy).
import type { Runtime } from "../runtime/types.ts";
import type { DownstreamRequest } from "./types.ts";
import type { ResponseFlag } from "./local-reply.ts";

export type AccessLogger = (
  req: DownstreamRequest,
  status: number,
  flags: readonly ResponseFlag[],
  durationMs: number,
  upstream?: string,
) => void;

export function createAccessLogger(runtime: Runtime): AccessLogger {
  return (req, status, flags, durationMs, upstream) => {
    const h = req.headers;
    runtime.log(
      `[${new Date().toISOString()}] "${req.method} ${req.path} ${req.protocol}" ${status} ${
        flags.length ? flags.join(",") : "-"
      } ` +
        `${Math.round(durationMs)} "${h["x-forwarded-for"] ?? "-"}" "${h["user-agent"] ?? "-"}" "${
          h["x-request-id"] ?? "-"
        }" ` +
        `"${req.authority}" "${upstream ?? "-"}"`,
    );
  };
}
