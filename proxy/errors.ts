// The one error type of the core: a WeftError carries a code that says what went wrong and where.
export type ErrorCode =
  | "config" // bootstrap or xDS resource rejected
  | "unsupported" // config asks for something this runtime/build cannot do
  | "upstream_connect_failure"
  | "upstream_connect_timeout"
  | "upstream_reset"
  | "upstream_refused_stream"
  | "upstream_timeout"
  | "upstream_per_try_timeout"
  | "upstream_protocol"
  | "upstream_overflow"
  | "downstream_reset"
  | "internal";

export class WeftError extends Error {
  override readonly name = "WeftError";
  constructor(readonly code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isWeftError(err: unknown, code?: ErrorCode): err is WeftError {
  return err instanceof WeftError && (code === undefined || err.code === code);
}
