// Builds the route table's compile errors: a WeftError("config") whose message starts with the field path.
import { WeftError } from "../errors.ts";

/** `configError("virtual_hosts[0].domains[1]", "duplicate domain")` → "virtual_hosts[0].domains[1]: duplicate domain". */
export function configError(path: string, message: string, cause?: unknown): WeftError {
  return new WeftError("config", `${path}: ${message}`, cause === undefined ? undefined : { cause });
}

/** Throws "<path>: <what> is not supported" when `present` is true: a field we cannot honour is never ignored. */
export function rejectUnsupported(present: boolean, path: string, what = "this field"): void {
  if (present) throw configError(path, `${what} is not supported`);
}
