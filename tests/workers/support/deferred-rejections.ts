// Test setup in workerd: report an unhandled rejection only if no handler arrives by the next macrotask (Node's rule).
//
// workerd emits `unhandledRejection` the moment a promise rejects without a handler, even when one is
// attached a microtask later — as when a then-callback returns Promise.reject(), which Connect's client does
// for every failed call — and emits `rejectionHandled` right after. Vitest counts the first and ignores the
// second, which would fail tests over rejections that were handled. Rejections still unhandled after a
// macrotask are reported as before.
type Listener = (reason: unknown, promise: Promise<unknown>) => void;
interface ProcessEvents {
  listeners(event: string): Listener[];
  removeAllListeners(event: string): void;
  on(event: string, listener: (...args: never[]) => void): void;
}

const proc = (globalThis as unknown as { process: ProcessEvents }).process;
const reporters = proc.listeners("unhandledRejection");
proc.removeAllListeners("unhandledRejection");
const handled = new WeakSet<Promise<unknown>>();
proc.on("rejectionHandled", (promise: Promise<unknown>) => handled.add(promise));
proc.on("unhandledRejection", (reason: unknown, promise: Promise<unknown>) => {
  setTimeout(() => {
    if (handled.has(promise)) return;
    for (const report of reporters) report(reason, promise);
  }, 0);
});
