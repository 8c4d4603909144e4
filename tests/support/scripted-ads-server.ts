// A real gRPC ADS server (connect-node over h2c) whose responses the test scripts; records every request.
import { createServer, type Http2Server, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AggregatedDiscoveryService } from "../../gen/envoy/service/discovery/v3/ads_pb.ts";
import {
  type DiscoveryRequest,
  type DiscoveryResponse,
  DiscoveryResponseSchema,
} from "../../gen/envoy/service/discovery/v3/discovery_pb.ts";
import { createAsyncQueue } from "../../proxy/xds/async-queue.ts";

export interface ScriptedAds {
  readonly port: number;
  readonly requests: DiscoveryRequest[];
  /** Sends a state-of-the-world response for a type to every open stream. */
  push<D extends DescMessage>(
    typeUrl: string,
    version: string,
    schema: D,
    resources: MessageShape<D>[],
  ): void;
  /** Resolves when a request matching `pred` has arrived (past or future). */
  waitFor(pred: (r: DiscoveryRequest) => boolean, timeoutMs?: number): Promise<DiscoveryRequest>;
  close(): Promise<void>;
}

export async function startScriptedAds(port = 0): Promise<ScriptedAds> {
  const requests: DiscoveryRequest[] = [];
  const streams = new Set<(r: DiscoveryResponse) => void>();
  const waiters: { pred: (r: DiscoveryRequest) => boolean; resolve: (r: DiscoveryRequest) => void }[] = [];
  const last = new Map<string, DiscoveryResponse>();
  let nonce = 0;
  const handler = connectNodeAdapter({
    routes(router) {
      router.service(AggregatedDiscoveryService, {
        async *streamAggregatedResources(reqs) {
          const out = createAsyncQueue<DiscoveryResponse>();
          const send = (r: DiscoveryResponse) => out.push(r);
          streams.add(send);
          (async () => {
            try {
              for await (const r of reqs) {
                requests.push(r);
                for (const w of [...waiters]) {
                  if (w.pred(r)) {
                    waiters.splice(waiters.indexOf(w), 1);
                    w.resolve(r);
                  }
                }
                // A new subscription (no nonce) gets the latest response for its type, like a real server.
                const latest = last.get(r.typeUrl);
                if (!r.responseNonce && latest) send({ ...latest, nonce: String(++nonce) });
              }
            } catch { /* stream reset */ }
            streams.delete(send);
            out.close();
          })();
          yield* out;
        },
        deltaAggregatedResources() {
          throw new Error("delta not scripted");
        },
      });
    },
  });
  const sessions = new Set<Http2Session>();
  const server: Http2Server = createServer(handler);
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    push(typeUrl, version, schema, resources) {
      const res = create(DiscoveryResponseSchema, {
        typeUrl,
        versionInfo: version,
        resources: resources.map((m) => anyPack(schema, m)),
      });
      last.set(typeUrl, res);
      for (const send of streams) send({ ...res, nonce: String(++nonce) });
    },
    waitFor(pred, timeoutMs = 5000) {
      const found = requests.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => reject(new Error("timed out waiting for a matching DiscoveryRequest")), timeoutMs);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
