// The Worker the workerd tests run beside: each request goes to the edge proxy registered for its URL's port.
import type { Proxy } from "../../../proxy/proxy.ts";
import { serveRequest } from "../../../adapters/workers/edge-worker.ts";
import type { WorkersRuntime } from "../../../adapters/workers/runtime.ts";

interface Registered {
  readonly proxy: Proxy;
  readonly runtime: WorkersRuntime;
}

const proxies = new Map<string, Registered>();
let nextPort = 101;

/** Registers a proxy and returns its URL: http://127.0.0.1:<a low port no loopback server uses>. */
export function registerProxy(proxy: Proxy, runtime: WorkersRuntime): string {
  const port = String(nextPort++);
  proxies.set(port, { proxy, runtime });
  return `http://127.0.0.1:${port}`;
}

export function unregisterProxy(url: string): void {
  proxies.delete(new URL(url).port);
}

/** True for URLs that name a registered proxy (the tests' fetch sends those through SELF). */
export function isProxyUrl(url: URL): boolean {
  return url.hostname === "127.0.0.1" && proxies.has(url.port);
}

export default {
  fetch(request: Request, _env: unknown, ctx: ExecutionContext): Promise<Response> | Response {
    const entry = proxies.get(new URL(request.url).port);
    if (!entry) return new Response("no proxy registered for this port\n", { status: 404 });
    return serveRequest(entry.proxy, entry.runtime, request, ctx);
  },
};
