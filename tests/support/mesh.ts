// Helpers for control-plane integration tests: temp config dirs, free ports, polling, HTTP GETs, the weft CLI.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";

export const ROOT = join(import.meta.dirname, "../..");

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Copies a config directory into a fresh temp dir, passing each file's text through `edit`. */
export function copyConfigDir(
  src: string,
  edit: (file: string, text: string) => string = (_f, t) => t,
): string {
  const dir = mkdtempSync(join(tmpdir(), "weft-mesh-"));
  cpSync(src, dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const text = readFileSync(path, "utf8");
    const next = edit(name, text);
    if (next !== text) writeFileSync(path, next);
  }
  return dir;
}

/** Polls `probe` every `intervalMs` until it returns something other than undefined/false. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface Reply {
  readonly status: number;
  readonly body: string;
}

const agent = new Agent({ connections: 64, keepAliveTimeout: 2000 });

/** One HTTP/1.1 GET (keep-alive pool shared by the test file); network errors reject. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await request(url, { headers, dispatcher: agent, headersTimeout: 5000, bodyTimeout: 5000 });
  return { status: res.statusCode, body: await res.body.text() };
}

export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await get(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as T;
}

export function closeClients(): Promise<void> {
  return agent.close();
}

/** Runs `node bin/weft.js <args>` and collects its exit code and output. */
export function runWeft(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "node",
      [join(ROOT, "bin/weft.js"), ...args],
      { cwd: ROOT, timeout: 20_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** The shape of /debug/push_status this file reads. */
export interface PushStatusView {
  readonly proxies: readonly {
    readonly connectionId: string;
    readonly identity: { readonly id: string; readonly type: string };
    readonly types: Readonly<
      Record<string, {
        sentVersion?: string;
        ackedVersion?: string;
        lastNack?: { version: string; message: string };
      }>
    >;
  }[];
  readonly rejectedSnapshots: Readonly<Record<string, { version: string; problems: readonly string[] }>>;
}

/** node id → type URL → acked version. */
export function ackedVersions(status: PushStatusView): Record<string, Record<string, string | undefined>> {
  const out: Record<string, Record<string, string | undefined>> = {};
  for (const p of status.proxies) {
    out[p.identity.id] = Object.fromEntries(Object.entries(p.types).map(([t, s]) => [t, s.ackedVersion]));
  }
  return out;
}

/** True when every connected proxy has ACKed what it was last sent, for every type. */
export function allAcked(status: PushStatusView): boolean {
  return status.proxies.every((p) =>
    Object.values(p.types).length > 0 &&
    Object.values(p.types).every((t) => t.sentVersion !== undefined && t.ackedVersion === t.sentVersion)
  );
}
