// Lower-level real clients for integration tests: curl with raw output, and hand-written bytes over node:net.
import { execFile, spawn } from "node:child_process";
import { connect } from "node:net";

export interface RawCurlResult {
  readonly stdout: string;
  /** With `-v`, curl's trace ("* Re-using existing connection", "> Expect: 100-continue", …). */
  readonly stderr: string;
  readonly exitCode: number;
}

/** Runs curl with exactly the given arguments (plus `--max-time 10`); `input` is written to its stdin. */
export function curlRaw(args: readonly string[], input?: Uint8Array | string): Promise<RawCurlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("curl", ["--max-time", "10", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({
        stdout: Buffer.concat(out).toString("latin1"),
        stderr: Buffer.concat(err).toString(),
        exitCode: code ?? -1,
      });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}

/** Runs curl and returns its stdout as bytes (for bodies compared by hash). */
export function curlBytes(args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      "curl",
      ["-s", "--max-time", "10", ...args],
      { encoding: "buffer", maxBuffer: 64 << 20 },
      (e, stdout) => {
        if (e) return reject(e);
        resolve(stdout);
      },
    );
  });
}

export interface RawExchange {
  /** Everything the proxy sent back before closing (or before `waitMs` of silence). */
  readonly response: string;
  /** The status of the first response, or 0 when none came. */
  readonly status: number;
  /** True when the proxy closed the connection (rather than the client giving up). */
  readonly closedByPeer: boolean;
}

/**
 * Writes `bytes` to 127.0.0.1:`port` and collects the reply until the peer closes the connection, or
 * until `waitMs` passes (then the socket is destroyed and `closedByPeer` is false).
 */
export function rawExchange(port: number, bytes: string | Uint8Array, waitMs = 3000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (closedByPeer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const response = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(response);
      resolve({ response, status: m ? Number(m[1]) : 0, closedByPeer });
    };
    const timer = setTimeout(() => {
      done(false);
      socket.destroy();
    }, waitMs);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => done(true));
    socket.on("close", () => done(true));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      // A reset after the reply still counts as the peer closing.
      if (err.code === "ECONNRESET" || err.code === "EPIPE") return done(true);
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.on("connect", () => socket.write(bytes));
  });
}
