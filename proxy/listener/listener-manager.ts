// Listeners by name: static ones from the bootstrap, dynamic ones replaced as a whole by LDS.
import { equals } from "@bufbuild/protobuf";
import type { Listener } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import { ListenerSchema } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { FilterChain } from "../../gen/envoy/config/listener/v3/listener_components_pb.ts";
import { createNetworkChain, type NetworkChain } from "./network-chain.ts";
import type { RunningListener } from "./listener.ts";
import { bindListener } from "./bind-listener.ts";
import { NETWORK_FILTERS, type NetworkFilterContext } from "../network/filters.ts";
import { compileDownstreamTls } from "../tls/tls-context.ts";
import { WeftError } from "../errors.ts";

export interface ListenerManager {
  all(): RunningListener[];
  /** Starts the bootstrap's static listeners. */
  addStatic(configs: readonly Listener[], field: string): Promise<void>;
  /**
   * LDS state of the world: builds every new/changed listener's chains first (any error: nothing changes),
   * then starts new ones, swaps chains in place for changed ones on the same address, drains removed ones.
   */
  applyDynamic(configs: readonly Listener[], field: string): Promise<{ rdsNames: Set<string> }>;
  /** Builds (without starting) every listener: throws the first config error. */
  validate(configs: readonly Listener[], field: string): Promise<void>;
  /** RDS names the dynamic listeners' HCMs need. */
  rdsNames(): string[];
  stopAccepting(): Promise<void>;
  drain(): void;
}

interface Built {
  readonly config: Listener;
  readonly chains: NetworkChain[];
  readonly defaultChain: NetworkChain | undefined;
  readonly rdsNames: Set<string>;
}

export function createListenerManager(ctx: Omit<NetworkFilterContext, "rdsNames">): ListenerManager {
  const running = new Map<string, { listener: RunningListener; dynamic: boolean; rdsNames: Set<string> }>();
  const retired = new Set<RunningListener>();

  async function build(config: Listener, field: string): Promise<Built> {
    const rdsNames = new Set<string>();
    const c = { ...ctx, rdsNames };
    const chains = await Promise.all(
      config.filterChains.map((ch, i) => buildChain(ch, c, `${field}.filter_chains[${i}]`)),
    );
    const defaultChain = config.defaultFilterChain
      ? await buildChain(config.defaultFilterChain, c, `${field}.default_filter_chain`)
      : undefined;
    return { config, chains, defaultChain, rdsNames };
  }

  return {
    all: () => [...running.values()].map((r) => r.listener),
    async addStatic(configs, field) {
      for (const [i, config] of configs.entries()) {
        const b = await build(config, `${field}[${i}]`);
        const listener = await bindListener(config, b.chains, b.defaultChain, ctx, `${field}[${i}]`);
        running.set(listener.name, { listener, dynamic: false, rdsNames: b.rdsNames });
      }
    },
    async applyDynamic(configs, field) {
      const builds = new Map<string, Built>();
      const seen = new Set<string>();
      for (const [i, config] of configs.entries()) {
        const path = `${field}[${i}]`;
        if (!config.name) throw new WeftError("config", `${path}.name: a dynamic listener needs a name`);
        if (seen.has(config.name)) {
          throw new WeftError("config", `${path}.name: duplicate listener "${config.name}"`);
        }
        seen.add(config.name);
        const current = running.get(config.name);
        if (current && !current.dynamic) {
          throw new WeftError("config", `${path}.name: "${config.name}" is a static listener`);
        }
        if (current && equals(ListenerSchema, current.listener.config, config)) continue;
        builds.set(config.name, await build(config, path));
      }
      for (const [name, b] of builds) {
        const current = running.get(name);
        if (current && sameAddress(current.listener.config, b.config)) {
          current.listener.update(b.config, b.chains, b.defaultChain);
          current.rdsNames = b.rdsNames;
          continue;
        }
        if (current) {
          await current.listener.stopAccepting();
          current.listener.drain();
          retired.add(current.listener);
        }
        const listener = await bindListener(b.config, b.chains, b.defaultChain, ctx, `listener ${name}`);
        running.set(name, { listener, dynamic: true, rdsNames: b.rdsNames });
      }
      for (const [name, r] of running) {
        if (r.dynamic && !seen.has(name)) {
          running.delete(name);
          await r.listener.stopAccepting();
          r.listener.drain();
        }
      }
      return { rdsNames: new Set([...running.values()].flatMap((r) => [...r.rdsNames])) };
    },
    async validate(configs, field) {
      for (const [i, config] of configs.entries()) await build(config, `${field}[${i}]`);
    },
    rdsNames:
      () => [...new Set([...running.values()].filter((r) => r.dynamic).flatMap((r) => [...r.rdsNames]))],
    async stopAccepting() {
      await Promise.all([...running.values()].map((r) => r.listener.stopAccepting().catch(() => {})));
    },
    drain() {
      for (const r of running.values()) r.listener.drain();
      for (const l of retired) l.drain();
    },
  };
}

function sameAddress(a: Listener, b: Listener): boolean {
  const x = a.address?.address, y = b.address?.address;
  return x?.case === "socketAddress" && y?.case === "socketAddress" && x.value.address === y.value.address &&
    x.value.portSpecifier.value === y.value.portSpecifier.value;
}

async function buildChain(
  chain: FilterChain,
  ctx: NetworkFilterContext,
  field: string,
): Promise<NetworkChain> {
  if (chain.filters.length !== 1) {
    throw new WeftError(
      "config",
      `${field}.filters: exactly one terminal network filter (http_connection_manager or tcp_proxy) is supported`,
    );
  }
  const filter = chain.filters[0];
  const typed = filter.configType.case === "typedConfig" ? filter.configType.value : undefined;
  if (!typed) throw new WeftError("config", `${field}.filters[0].typed_config: required`);
  const factory = NETWORK_FILTERS.find((f) => f.matches(typed));
  if (!factory) {
    const names = NETWORK_FILTERS.map((f) => f.name).join(", ");
    throw new WeftError(
      "config",
      `${field}.filters[0]: network filter ${typed.typeUrl} is not supported (supported: ${names})`,
    );
  }
  const ts = chain.transportSocket?.configType;
  const tls = ts?.case === "typedConfig"
    ? await compileDownstreamTls(ts.value, ctx.runtime.readTextFile, `${field}.transport_socket`)
    : undefined;
  return createNetworkChain(ctx.runtime, tls, factory.create(typed, ctx, `${field}.filters[0]`));
}
