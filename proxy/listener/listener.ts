// A running listener: accepts connections, inspects them, picks a filter chain, terminates TLS, hands off.
import type { Listener } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { Connection, ListenHandle, Runtime } from "../runtime/types.ts";
import { createFilterChainSelector, type FilterChainFacts } from "./filter-chain-match.ts";
import { inspectClientHello } from "./tls-inspector.ts";
import { applicationProtocolsFor, sniffProtocol } from "./protocol-sniffer.ts";
import type { NetworkChain } from "./network-chain.ts";
import type { StatsStore } from "../stats/stats-store.ts";
import type { HttpHandler } from "../http/types.ts";
import { WeftError } from "../errors.ts";

const INSPECT_TIMEOUT_MS = 5000;

export interface RunningListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Stops accepting; existing connections are drained by their filters. */
  stopAccepting(): Promise<void>;
  drain(): void;
  readonly activeConnections: number;
  /** Swaps in new filter chains (same address); connections already accepted keep their chain. */
  update(config: Listener, chains: readonly NetworkChain[], defaultChain: NetworkChain | undefined): void;
  /** The listener config currently in force. */
  readonly config: Listener;
  /** For a single-chain HTTP listener: its connection manager's handler (edge runtimes call it directly). */
  readonly httpHandler?: HttpHandler;
}

export interface ListenerDeps {
  readonly runtime: Runtime;
  readonly stats: StatsStore;
}

export async function startListener(
  config: Listener,
  chains: readonly NetworkChain[],
  defaultChain: NetworkChain | undefined,
  deps: ListenerDeps,
  field: string,
): Promise<RunningListener> {
  const sa = config.address?.address;
  if (sa?.case !== "socketAddress" || sa.value.portSpecifier.case !== "portValue") {
    throw new WeftError("config", `${field}.address: a socket_address with port_value is required`);
  }
  let state = compileChains(config, chains, defaultChain);
  const { runtime, stats } = deps;
  const name = config.name || `${sa.value.address}_${sa.value.portSpecifier.value}`;
  const prefix = `listener.${config.statPrefix || name}.`;
  const cxTotal = stats.counter(prefix + "downstream_cx_total");
  const cxActive = stats.gauge(prefix + "downstream_cx_active");
  const noChain = stats.counter(prefix + "no_filter_chain_match");
  const live = new Set<Connection>();
  const handles = new Set<{ drain(): void }>();
  let draining = false;

  const onConnection = async (conn: Connection) => {
    cxTotal.value++;
    cxActive.value++;
    live.add(conn);
    conn.closed.then(() => {
      cxActive.value--;
      live.delete(conn);
    });
    try {
      let facts: FilterChainFacts = {
        destinationPort: conn.localPort,
        destinationIp: conn.localAddress,
        transportProtocol: "raw_buffer",
        applicationProtocols: [],
        sourceIp: conn.remoteAddress,
        sourcePort: conn.remotePort,
        directSourceIp: conn.remoteAddress,
      };
      const current = state;
      if (current.inspectTls || current.inspectHttp) {
        facts = await inspect(conn, facts, current.inspectTls, current.inspectHttp);
      }
      const picked = current.selector.select(facts);
      const chain = picked === "default"
        ? current.defaultChain
        : picked === undefined
        ? undefined
        : current.chains[picked];
      if (!chain) {
        noChain.value++;
        conn.destroy();
        return;
      }
      const handle = await chain.handle(conn);
      if (handle) {
        handles.add(handle);
        if (draining) handle.drain();
        conn.closed.then(() => handles.delete(handle));
      }
    } catch (err) {
      runtime.log(
        `listener ${name}: connection from ${conn.remoteAddress}:${conn.remotePort} closed: ${
          (err as Error).message
        }`,
      );
      conn.destroy();
    }
  };
  const listening: ListenHandle = await runtime.net.listen({
    host: sa.value.address,
    port: sa.value.portSpecifier.value,
  }, (c) => {
    onConnection(c);
  });
  return {
    name,
    host: listening.host,
    port: listening.port,
    stopAccepting: () => listening.close(),
    drain() {
      draining = true;
      for (const h of handles) h.drain();
    },
    get activeConnections() {
      return live.size;
    },
    update(next, nextChains, nextDefault) {
      state = compileChains(next, nextChains, nextDefault);
    },
    get config() {
      return state.config;
    },
  };
}

function compileChains(
  config: Listener,
  chains: readonly NetworkChain[],
  defaultChain: NetworkChain | undefined,
) {
  const selector = createFilterChainSelector(
    config.filterChains.map((c) => ({ match: c.filterChainMatch })),
    defaultChain !== undefined,
  );
  return {
    config,
    chains,
    defaultChain,
    selector,
    inspectTls: selector.needsTlsInspector || hasListenerFilter(config, "tls_inspector"),
    inspectHttp: selector.needsHttpInspector || hasListenerFilter(config, "http_inspector"),
  };
}

function hasListenerFilter(config: Listener, kind: string): boolean {
  return config.listenerFilters.some((f) =>
    f.name.includes(kind) ||
    (f.configType.case === "typedConfig" && f.configType.value.typeUrl.includes(kind))
  );
}

/** Runs the tls/http inspectors on the first bytes (never consuming them). */
async function inspect(
  conn: Connection,
  facts: FilterChainFacts,
  tls: boolean,
  http: boolean,
): Promise<FilterChainFacts> {
  let want = 1;
  for (let round = 0; round < 256; round++) {
    const bytes = await conn.peek(want, INSPECT_TIMEOUT_MS);
    if (bytes.length === 0) return facts;
    if (tls) {
      const hello = inspectClientHello(bytes);
      if (hello.kind === "tls") {
        return {
          ...facts,
          transportProtocol: "tls",
          serverName: hello.serverName?.toLowerCase(),
          applicationProtocols: hello.alpn,
        };
      }
      if (hello.kind === "need-more" && bytes.length >= want) {
        want = bytes.length + 1;
        continue;
      }
      if (hello.kind === "need-more") return facts;
    }
    if (!http) return facts;
    const kind = sniffProtocol(bytes);
    if (kind === "need-more" && bytes.length >= want) {
      want = bytes.length + 1;
      continue;
    }
    return { ...facts, applicationProtocols: applicationProtocolsFor(kind) };
  }
  return facts;
}
