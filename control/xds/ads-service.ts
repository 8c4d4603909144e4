// The AggregatedDiscoveryService as Connect handlers (SotW + delta), ready for a ConnectRouter.
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { AggregatedDiscoveryService } from "../../gen/envoy/service/discovery/v3/ads_pb.ts";
import { createConfigRegistry } from "../../proxy/config/registry.ts";
import { createSotwHandler } from "./ads-server.ts";
import { createDeltaHandler } from "./delta-server.ts";
import { counter, type XdsServerConfig } from "./xds-stream.ts";

export function createAdsService(config: XdsServerConfig): ServiceImpl<typeof AggregatedDiscoveryService> {
  const connections = counter();
  return {
    streamAggregatedResources: createSotwHandler(config, connections),
    deltaAggregatedResources: createDeltaHandler(config, connections),
  };
}

/**
 * Registers ADS on a router: `startControlServer({ routes: adsRoutes(config) })`. JSON clients (Connect or gRPC
 * with a JSON codec) get resources as Any messages, which JSON can only write with their types at hand: the
 * registry of every type Weft's config can hold.
 */
export function adsRoutes(config: XdsServerConfig): (router: ConnectRouter) => void {
  return (router) =>
    void router.service(AggregatedDiscoveryService, createAdsService(config), {
      jsonOptions: { registry: createConfigRegistry() },
    });
}
