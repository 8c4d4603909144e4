// One ADS stream's life, shared by SotW and delta: node → identity → snapshot + cache watch, events in order.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Node } from "../../gen/envoy/config/core/v3/base_pb.ts";
import type { ProxyIdentity } from "../model/types.ts";
import { parseProxyIdentity } from "./node-identity.ts";
import { RESOURCE_TYPES, type ResourceType } from "./resource-types.ts";
import type { PushStatus } from "./push-status.ts";
import type { SnapshotCache } from "./snapshot-cache.ts";
import type { SendLimiter } from "./send-limiter.ts";
import type { Snapshot } from "./snapshot.ts";

/** Where a stream's snapshots come from (the pipeline generates on first connect). */
export interface SnapshotProvider {
  /** The node's current snapshot; undefined when none can be published yet (the stream waits for the cache). */
  snapshotFor(identity: ProxyIdentity, node: Node): Promise<Snapshot | undefined> | Snapshot | undefined;
  onProxyConnected?(identity: ProxyIdentity, node: Node): void;
  onProxyDisconnected?(identity: ProxyIdentity): void;
}

export interface XdsServerConfig {
  /** Watched per node id for new snapshots. */
  readonly cache: SnapshotCache;
  readonly provider: SnapshotProvider;
  readonly status: PushStatus;
  /** Milliseconds, for push status and metrics. */
  readonly now: () => number;
  /** Bounds how many streams write a response at once (memory during a push to many proxies). */
  readonly sendLimiter?: SendLimiter;
}

/** What a protocol (SotW or delta) sees of its stream. */
export interface StreamContext {
  readonly connectionId: string;
  readonly identity: ProxyIdentity;
  /** The latest snapshot for the node, once there is one. */
  readonly snapshot: Snapshot | undefined;
  /** Monotonic per stream. */
  nextNonce(): string;
}

/** A protocol's reactions: each returns the responses to send, in order. */
export interface StreamProtocol<Req, Res> {
  /** Called for every request as it arrives, first thing (request-names.ts puts shared name lists back). */
  onReceive?(request: Req): void;
  /**
   * Called as a request arrives, before it waits in the stream's queue: swaps the decoded resource names for the
   * resources' own strings (canonicalNames), so the decoded copies die young instead of being copied by every
   * scavenge while the stream is still writing its last push (38 MB of them in a first push to 500 proxies).
   */
  onArrival?(request: Req, stream: StreamContext): void;
  onRequest(request: Req, stream: StreamContext, receivedAt: number): Res[];
  onSnapshot(stream: StreamContext, triggeredAt: number): Res[];
}

type StreamEvent<Req> =
  | { readonly kind: "request"; readonly request: Req; readonly at: number }
  | { readonly kind: "snapshot"; readonly snapshot: Snapshot; readonly at: number }
  | { readonly kind: "end" };

/** A new snapshot: each subscribed type's responses, in xDS's order (RESOURCE_TYPES: clusters before listeners …). */
export function respondToSnapshot<State, Res>(
  states: ReadonlyMap<string, State>,
  respond: (type: ResourceType, state: State) => Res[],
): Res[] {
  const out: Res[] = [];
  for (const type of RESOURCE_TYPES) {
    const state = states.get(type.typeUrl);
    if (state) out.push(...respond(type, state));
  }
  return out;
}

const NOTHING: never[] = [];

/** A connection-number source; share one between the SotW and delta handlers of a server. */
export function counter(): () => number {
  let n = 0;
  return () => ++n;
}

function createQueue<T>() {
  const items: T[] = [];
  let wake: (() => void) | undefined;
  return {
    push(item: T) {
      items.push(item);
      wake?.();
      wake = undefined;
    },
    async next(): Promise<T> {
      while (items.length === 0) await new Promise<void>((resolve) => wake = resolve);
      return items.shift()!;
    },
  };
}

/** Shared (frozen) request lists → their canonical copy, made once for every stream that sends the list. */
const canonicalCopies = new WeakMap<readonly string[], readonly string[]>();

/**
 * `names` with each name that is a resource of `current` replaced by that resource's own name string: a decoded
 * list is changed in place; a frozen one, which every stream sharing it gets (request-names.ts), is copied once.
 * Lookups with the resources' own strings then match by identity instead of comparing text.
 */
export function canonicalNames(
  names: string[],
  current: ReadonlyMap<string, { readonly name: string }> | undefined,
): string[] {
  if (current === undefined) return names;
  if (Object.isFrozen(names)) {
    let copy = canonicalCopies.get(names);
    if (copy === undefined) {
      canonicalCopies.set(names, copy = Object.freeze(names.map((n) => current.get(n)?.name ?? n)));
    }
    return copy as string[];
  }
  for (let i = 0; i < names.length; i++) {
    const own = current.get(names[i])?.name;
    if (own !== undefined) names[i] = own;
  }
  return names;
}

/** Runs one stream: requests and snapshot changes are handled one at a time, in arrival order. */
export async function* runXdsStream<Req extends { node?: Node }, Res>(
  requests: AsyncIterable<Req>,
  signal: AbortSignal,
  config: XdsServerConfig,
  kind: "sotw" | "delta",
  connectionSeq: () => number,
  protocol: StreamProtocol<Req, Res>,
): AsyncGenerator<Res> {
  const queue = createQueue<StreamEvent<Req>>();
  const end = () => queue.push({ kind: "end" });
  signal.addEventListener("abort", end, { once: true });
  // Requests are moved to the queue one step at a time: a `for await` loop would keep the last one (a SotW ACK
  // repeats every resource name) alive in its frame until the next arrives.
  const incoming = requests[Symbol.asyncIterator]();
  let stream: (StreamContext & { snapshot: Snapshot | undefined }) | undefined;
  let unwatch: (() => void) | undefined;
  const step = async (): Promise<boolean> => {
    const next = await incoming.next();
    if (next.done) return false;
    protocol.onReceive?.(next.value);
    if (stream) protocol.onArrival?.(next.value, stream);
    queue.push({ kind: "request", request: next.value, at: config.now() });
    return true;
  };
  void (async () => {
    try {
      while (await step());
    } catch {
      // the client went away; the stream just ends
    }
    end();
  })();

  /**
   * A batch (the pieces of one push) holds one send slot, when the server has a limiter, until Connect asks for
   * the response after its last; each piece renews its hold time. Not a slot per piece: Connect keeps the piece
   * it just wrote (and its encoding) until the next one is yielded, so a stream waiting for a slot between pieces
   * kept ~0.5 MB alive (400 streams waiting for 100 slots: up to ~200 MB; measured with 8 slots, 95–158 MB of
   * buffers were still live after a delta benchmark phase, 14 MB once batches held slots). Only a stream whose
   * slot was taken back (its proxy read nothing for the hold time) waits for another before its next piece.
   */
  async function* limited(responses: Res[]): AsyncGenerator<Res> {
    const limiter = config.sendLimiter;
    let slot = await limiter?.acquire();
    try {
      for (let i = 0; i < responses.length; i++) {
        if (i > 0 && limiter && slot && !slot.renew()) slot = await limiter.acquire();
        yield responses[i];
      }
    } finally {
      slot?.release();
    }
  }

  try {
    let event: StreamEvent<Req> | undefined;
    while (!signal.aborted) {
      event = await queue.next();
      if (event.kind === "end") return;
      let responses: Res[];
      if (event.kind === "snapshot") {
        if (!stream) continue;
        stream.snapshot = event.snapshot;
        responses = protocol.onSnapshot(stream, event.at);
      } else {
        if (!stream) {
          const node = event.request.node;
          if (!node) {
            throw new ConnectError(
              "the first request on an ADS stream must carry the node",
              Code.InvalidArgument,
            );
          }
          const identity = parseProxyIdentity(node);
          let nonce = 0;
          stream = {
            connectionId: `${identity.id}-${connectionSeq()}`,
            identity,
            snapshot: undefined,
            nextNonce: () => String(++nonce),
          };
          config.status.proxyConnected(stream.connectionId, identity, kind);
          config.provider.onProxyConnected?.(identity, node);
          unwatch = config.cache.watch(identity.id, (snapshot) => {
            queue.push({ kind: "snapshot", snapshot, at: config.status.currentChangeAt() ?? config.now() });
          });
          stream.snapshot = (await config.provider.snapshotFor(identity, node)) ??
            config.cache.get(identity.id);
        }
        responses = protocol.onRequest(event.request, stream, event.at);
      }
      // Most requests are ACKs that need no response: no generator for them. The batch is let go of before the
      // next wait: a generator's suspended frame keeps its variables, and 500 idle streams each holding their
      // last batch (and its encoded resources) kept tens of MB alive (tests/control/xds/xds-stream-retention).
      event = undefined; // handled: not kept while the next is awaited
      if (responses.length > 0) yield* limited(responses);
      responses = NOTHING;
    }
  } finally {
    signal.removeEventListener("abort", end);
    unwatch?.();
    if (stream) {
      config.status.proxyDisconnected(stream.connectionId);
      config.provider.onProxyDisconnected?.(stream.identity);
    }
  }
}
