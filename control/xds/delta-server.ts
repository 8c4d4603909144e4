// Incremental (delta) ADS: per type, the subscription and what the proxy holds; send only what changed.
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  DeltaDiscoveryResponseSchema,
  ResourceSchema,
} from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import { isBinaryCodec } from "./encoded-resources.ts";
import { deltaPiecesFor } from "./encoded-blocks.ts";
import { PIECES, SPLICED_PIECES } from "./response-pieces.ts";
import { RESPONSE_SPLICER, type ResponseSplicer } from "./response-splice.ts";
import { REQUEST_NAMES, type RequestNames } from "./request-names.ts";
import { patchedNames } from "./map-facts.ts";
import { applySubscription, type DeltaTypeState, NO_NAMES, whatToSend } from "./delta-state.ts";
import { packResource, type ResourceType, resourceType } from "./resource-types.ts";
import type { VersionedResource } from "./snapshot.ts";
import {
  canonicalNames,
  counter,
  respondToSnapshot,
  runXdsStream,
  type StreamContext,
  type StreamProtocol,
  type XdsServerConfig,
} from "./xds-stream.ts";

const EMPTY: ReadonlyMap<string, VersionedResource> = new Map();

function createDeltaProtocol(
  config: XdsServerConfig,
  binary: boolean,
  splicer?: ResponseSplicer,
  requestNames?: RequestNames,
): StreamProtocol<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  const states = new Map<string, DeltaTypeState>();

  function respond(type: ResourceType, state: DeltaTypeState, stream: StreamContext, triggeredAt: number) {
    const snapshot = stream.snapshot;
    if (!snapshot) return [];
    const all: ReadonlyMap<string, VersionedResource> = snapshot.resources.get(type.typeUrl) ?? EMPTY;
    // The same map as last time and the same subscription: the proxy already holds all of it.
    if (all === state.scanned && state.missing.size === 0 && (state.answered || !state.wildcard)) return [];
    // An endpoint edit patches a few entries of the map this stream last scanned: look at those only.
    const patched = state.answered && state.missing.size === 0 && state.scanned !== undefined
      ? patchedNames(all, state.scanned)
      : undefined;
    state.scanned = all;
    const { changed, run, removed } = whatToSend(state, all, patched);
    // From here on the proxy holds exactly `all` (for the names in scope).
    state.missing = NO_NAMES;
    state.missingShared = true;
    state.known = undefined;
    state.held = all;
    if (changed.length === 0 && removed.length === 0 && (state.answered || !state.wildcard)) return [];
    Object.assign(state, { answered: true, lastVersion: snapshot.version, burst: new Set<string>() });
    // Large binary responses go out in pieces (removals in the first), see piecesOf.
    const limits = splicer ? SPLICED_PIECES : PIECES;
    const encoded = binary ? deltaPiecesFor(type, all, changed, run, limits) : undefined;
    const pieces = encoded ? encoded.ranges : [[0, changed.length] as const];
    return pieces.map(([from, to], i) => {
      const nonce = stream.nextNonce();
      state.burst!.add(nonce);
      state.lastNonce = nonce;
      const response = create(DeltaDiscoveryResponseSchema, {
        systemVersionInfo: snapshot.version,
        typeUrl: type.typeUrl,
        nonce,
        resources: binary
          ? []
          : changed.slice(from, to).map((r) =>
            create(ResourceSchema, { name: r.name, version: r.version, resource: packResource(type, r) })
          ),
        removedResources: i === 0 ? [...removed] : [],
      });
      if (encoded) {
        response.$unknown = encoded.fields[i];
        splicer?.defer(response);
      }
      config.status.responseSent(stream.connectionId, type.typeUrl, snapshot.version, nonce, triggeredAt);
      return response;
    });
  }

  return {
    onReceive(request) {
      const shared = requestNames?.restore(request);
      if (shared !== undefined) request.resourceNamesSubscribe = shared as string[];
    },
    onArrival(request, stream) {
      request.resourceNamesSubscribe = canonicalNames(
        request.resourceNamesSubscribe,
        stream.snapshot?.resources.get(request.typeUrl),
      );
    },
    onRequest(request, stream, receivedAt) {
      const type = resourceType(request.typeUrl);
      if (!type) return [];
      let state = states.get(type.typeUrl);
      if (!state) {
        state = {
          wildcard: type.wildcard && request.resourceNamesSubscribe.length === 0,
          names: NO_NAMES,
          known: new Map(Object.entries(request.initialResourceVersions)),
          missing: NO_NAMES,
          missingShared: true,
          answered: false,
        };
        states.set(type.typeUrl, state);
      }
      // Subscription changes are deltas the client will not repeat: applied whatever the nonce says.
      applySubscription(state, request, stream.snapshot?.resources.get(type.typeUrl) ?? EMPTY);
      // A reply to any piece of the last response: a NACK of any piece counts, the ACK of the last one.
      if (request.responseNonce !== "" && state.burst?.has(request.responseNonce)) {
        const version = state.lastVersion ?? "";
        if (request.errorDetail) {
          const message = request.errorDetail.message || `code ${request.errorDetail.code}`;
          config.status.nackReceived(
            stream.connectionId,
            type.typeUrl,
            version,
            request.responseNonce,
            message,
          );
        } else if (request.responseNonce === state.lastNonce) {
          config.status.ackReceived(stream.connectionId, type.typeUrl, version, request.responseNonce);
        }
      }
      return respond(type, state, stream, receivedAt);
    },
    onSnapshot: (stream, triggeredAt) =>
      respondToSnapshot(states, (type, state) => respond(type, state, stream, triggeredAt)),
  };
}

/** The `DeltaAggregatedResources` handler (bidi streaming, incremental). */
export function createDeltaHandler(config: XdsServerConfig, connectionSeq: () => number = counter()) {
  return function deltaAggregatedResources(
    requests: AsyncIterable<DeltaDiscoveryRequest>,
    context: HandlerContext,
  ): AsyncIterable<DeltaDiscoveryResponse> {
    return runXdsStream(
      requests,
      context.signal,
      config,
      "delta",
      connectionSeq,
      createDeltaProtocol(
        config,
        isBinaryCodec(context.requestHeader.get("content-type")),
        context.values.get(RESPONSE_SPLICER),
        context.values.get(REQUEST_NAMES),
      ),
    );
  };
}
