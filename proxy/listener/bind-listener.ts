// Starts a listener the way the runtime can: core-accepted connections, the runtime's own HTTP listener, or none.
import type { Listener } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { HttpHandler } from "../http/types.ts";
import type { NetworkChain } from "./network-chain.ts";
import { type ListenerDeps, type RunningListener, startListener } from "./listener.ts";
import { WeftError } from "../errors.ts";

/**
 * Node accepts connections in the core (filter-chain matching, sniffing, tcp_proxy). Runtimes that only
 * serve HTTP on listeners of their own (Deno's serve()) or accept no connections at all (Workers: requests
 * arrive through the adapter's fetch handler) run single-chain HTTP listeners only; anything else is a
 * config error naming the listener, never a silent downgrade.
 */
export async function bindListener(
  config: Listener,
  chains: readonly NetworkChain[],
  defaultChain: NetworkChain | undefined,
  deps: ListenerDeps,
  field: string,
): Promise<RunningListener> {
  const runtime = deps.runtime;
  const all = defaultChain ? [...chains, defaultChain] : chains;
  const needsCodec = all.some((c) => c.filter.http);
  if (runtime.capabilities.inboundTcp && (runtime.http.serve || !needsCodec)) {
    if (runtime.capabilities.tlsOnAcceptedConnections === false && all.some((c) => c.tls)) {
      throw new WeftError(
        "unsupported",
        `${field}: the ${runtime.capabilities.name} runtime cannot terminate TLS on accepted connections ` +
          `(a transport_socket on a tcp_proxy chain); see docs/runtimes.md`,
      );
    }
    return await startListener(config, chains, defaultChain, deps, field);
  }
  const chain = singleHttpChain(config, chains, defaultChain);
  if (!chain) {
    throw new WeftError(
      "unsupported",
      `${field}: the ${runtime.capabilities.name} runtime runs only HTTP listeners with one filter chain ` +
        `(no filter_chain_match, no tcp_proxy); see docs/runtimes.md`,
    );
  }
  const http = chain.filter.http!;
  let current: HttpHandler = http.handler;
  const handler: HttpHandler = (req) => current(req);
  const sa = config.address?.address;
  const host = sa?.case === "socketAddress" ? sa.value.address : "";
  const port = sa?.case === "socketAddress" && sa.value.portSpecifier.case === "portValue"
    ? sa.value.portSpecifier.value
    : 0;
  let state = config;
  const base = {
    name: config.name || `${host}_${port}`,
    get config() {
      return state;
    },
    httpHandler: handler,
    drain() {},
    activeConnections: 0,
    update(next: Listener, nextChains: readonly NetworkChain[], nextDefault: NetworkChain | undefined) {
      const c = singleHttpChain(next, nextChains, nextDefault);
      if (!c) {
        throw new WeftError(
          "unsupported",
          `listener ${next.name}: only a single HTTP filter chain is supported here`,
        );
      }
      current = c.filter.http!.handler;
      state = next;
    },
  };
  if (!runtime.http.listen || !runtime.capabilities.inboundTcp) {
    return { ...base, host, port, stopAccepting: async () => {} };
  }
  const handle = await runtime.http.listen(
    { name: base.name, host, port, tls: chain.tls, serve: http.serveOptions },
    handler,
  );
  return { ...base, host: handle.host, port: handle.port, stopAccepting: () => handle.close() };
}

function singleHttpChain(
  config: Listener,
  chains: readonly NetworkChain[],
  defaultChain: NetworkChain | undefined,
) {
  if (chains.length !== 1 || defaultChain || config.filterChains[0]?.filterChainMatch) return undefined;
  return chains[0].filter.http ? chains[0] : undefined;
}
