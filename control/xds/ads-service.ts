// The AggregatedDiscoveryService as Connect handlers (SotW + delta), ready for a ConnectRouter.
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { AggregatedDiscoveryService } from "../../gen/envoy/service/discovery/v3/ads_pb.ts";
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

/** Registers ADS on a router: `startControlServer({ routes: adsRoutes(config) })`. */
export function adsRoutes(config: XdsServerConfig): (router: ConnectRouter) => void {
  return (router) => void router.service(AggregatedDiscoveryService, createAdsService(config));
}
