// CPU-profiles a running Node process over its --inspect port (Chrome DevTools Protocol), for exactly one load run.
import WebSocket from "ws";
import type { CpuProfile } from "./cpu-profile.ts";

export interface RemoteProfiler {
  /** Starts sampling (every `intervalUs` µs). */
  start(intervalUs?: number): Promise<void>;
  /** Stops sampling and returns the profile. */
  stop(): Promise<CpuProfile>;
  close(): void;
}

export async function connectProfiler(inspectPort: number): Promise<RemoteProfiler> {
  const targets = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json() as {
    webSocketDebuggerUrl: string;
  }[];
  const wsUrl = targets[0]?.webSocketDebuggerUrl;
  if (!wsUrl) throw new Error(`no inspector target on port ${inspectPort}`);
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.reject(new Error(`inspector: ${msg.error.message}`));
    else p?.resolve(msg.result);
  });
  ws.on("close", () => {
    for (const p of pending.values()) p.reject(new Error("inspector connection closed"));
    pending.clear();
  });
  const call = (method: string, params?: Record<string, unknown>) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  return {
    async start(intervalUs = 500) {
      await call("Profiler.setSamplingInterval", { interval: intervalUs });
      await call("Profiler.start");
    },
    async stop() {
      const result = await call("Profiler.stop") as { profile: CpuProfile };
      return result.profile;
    },
    close() {
      ws.close();
    },
  };
}
