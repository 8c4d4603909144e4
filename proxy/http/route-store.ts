// Route configurations delivered by RDS, by name; HCMs look theirs up per request so a swap is atomic.
import type { RouteConfiguration } from "../../gen/envoy/config/route/v3/route_pb.ts";
import { compileRouteConfiguration, type RouteTable } from "../route/route-table.ts";
import { WeftError } from "../errors.ts";

export interface RouteStore {
  get(name: string): RouteTable | undefined;
  /** Compiles every config first; on any error nothing changes. Returns the names now present. */
  apply(configs: readonly RouteConfiguration[], field: string, replaceAll: boolean): string[];
  names(): string[];
  /** The route configurations in force (for /config_dump). */
  configs(): RouteConfiguration[];
}

export function createRouteStore(): RouteStore {
  let tables = new Map<string, RouteTable>();
  let raw = new Map<string, RouteConfiguration>();
  return {
    get: (name) => tables.get(name),
    apply(configs, field, replaceAll) {
      const next = replaceAll ? new Map<string, RouteTable>() : new Map(tables);
      const nextRaw = replaceAll ? new Map<string, RouteConfiguration>() : new Map(raw);
      configs.forEach((config, i) => {
        try {
          next.set(config.name, compileRouteConfiguration(config));
          nextRaw.set(config.name, config);
        } catch (err) {
          if (err instanceof WeftError) {
            throw new WeftError("config", `${field}[${i}] (${config.name}).${err.message}`, { cause: err });
          }
          throw err;
        }
      });
      tables = next;
      raw = nextRaw;
      return [...tables.keys()];
    },
    names: () => [...tables.keys()],
    configs: () => [...raw.values()],
  };
}
