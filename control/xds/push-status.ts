// Push status: what each connected proxy was sent, acked and rejected, plus the metrics derived from it.
import type { ProxyIdentity } from "../model/types.ts";
import type { Metrics } from "./metrics.ts";
import { shortType } from "./resource-types.ts";

export interface NackRecord {
  /** The version the proxy rejected (the one last sent). */
  readonly version: string;
  readonly nonce: string;
  readonly message: string;
  readonly at: number;
}

export interface TypeStatus {
  sentVersion?: string;
  sentNonce?: string;
  sentAt?: number;
  ackedVersion?: string;
  ackedNonce?: string;
  ackedAt?: number;
  lastNack?: NackRecord;
  /** When the change behind the last response started (for convergence time). */
  triggeredAt?: number;
}

export interface ProxyStatus {
  readonly connectionId: string;
  readonly identity: ProxyIdentity;
  readonly protocol: "sotw" | "delta";
  readonly connectedAt: number;
  readonly types: Record<string, TypeStatus>;
}

export interface PushRecord {
  readonly reasons: readonly string[];
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly proxies: number;
}

export interface PushStatusJson {
  readonly proxies: readonly ProxyStatus[];
  readonly lastPush?: PushRecord;
  /** Node id → why its latest snapshot was not published. */
  readonly rejectedSnapshots: Readonly<
    Record<string, { readonly version: string; readonly problems: readonly string[] }>
  >;
}

export interface PushStatus {
  readonly metrics: Metrics;
  proxyConnected(connectionId: string, identity: ProxyIdentity, protocol: "sotw" | "delta"): void;
  proxyDisconnected(connectionId: string): void;
  responseSent(
    connectionId: string,
    typeUrl: string,
    version: string,
    nonce: string,
    triggeredAt: number,
  ): void;
  ackReceived(connectionId: string, typeUrl: string, version: string, nonce: string): void;
  nackReceived(connectionId: string, typeUrl: string, version: string, nonce: string, message: string): void;
  /** The pipeline marks the start of a config change; responses pushed for it measure convergence from here. */
  changeStarted(at: number): void;
  /** When the change being pushed started, if a push is in flight. */
  currentChangeAt(): number | undefined;
  pushCompleted(record: PushRecord): void;
  snapshotRejected(nodeId: string, version: string, problems: readonly string[]): void;
  snapshotPublished(nodeId: string): void;
  proxy(connectionId: string): ProxyStatus | undefined;
  toJSON(): PushStatusJson;
}

export function createPushStatus(options: { metrics: Metrics; now: () => number }): PushStatus {
  const { metrics, now } = options;
  const proxies = new Map<string, ProxyStatus>();
  const rejected = new Map<string, { version: string; problems: readonly string[] }>();
  let lastPush: PushRecord | undefined;
  let changeAt: number | undefined;

  const typeOf = (connectionId: string, typeUrl: string): TypeStatus | undefined => {
    const p = proxies.get(connectionId);
    if (!p) return undefined;
    return p.types[typeUrl] ??= {};
  };

  return {
    metrics,
    proxyConnected(connectionId, identity, protocol) {
      proxies.set(connectionId, { connectionId, identity, protocol, connectedAt: now(), types: {} });
      metrics.set("pilot_xds", proxies.size);
    },
    proxyDisconnected(connectionId) {
      proxies.delete(connectionId);
      metrics.set("pilot_xds", proxies.size);
    },
    responseSent(connectionId, typeUrl, version, nonce, triggeredAt) {
      const t = typeOf(connectionId, typeUrl);
      if (!t) return;
      const at = now();
      Object.assign(t, { sentVersion: version, sentNonce: nonce, sentAt: at, triggeredAt });
      const type = shortType(typeUrl);
      metrics.inc("pilot_xds_pushes", { type });
      metrics.observe("pilot_xds_push_time", (at - triggeredAt) / 1000, { type });
    },
    ackReceived(connectionId, typeUrl, version, nonce) {
      const t = typeOf(connectionId, typeUrl);
      if (!t) return;
      const at = now();
      if (t.ackedVersion !== version && t.triggeredAt !== undefined) {
        metrics.observe("pilot_proxy_convergence_time", (at - t.triggeredAt) / 1000);
      }
      Object.assign(t, { ackedVersion: version, ackedNonce: nonce, ackedAt: at });
    },
    nackReceived(connectionId, typeUrl, version, nonce, message) {
      const t = typeOf(connectionId, typeUrl);
      if (!t) return;
      t.lastNack = { version, nonce, message, at: now() };
      metrics.inc("pilot_total_xds_rejects", { type: shortType(typeUrl) });
    },
    changeStarted(at) {
      changeAt = at;
    },
    currentChangeAt: () => changeAt,
    pushCompleted(record) {
      lastPush = record;
      changeAt = undefined;
    },
    snapshotRejected(nodeId, version, problems) {
      rejected.set(nodeId, { version, problems });
      metrics.inc("weft_xds_inconsistent_snapshots");
    },
    snapshotPublished(nodeId) {
      rejected.delete(nodeId);
    },
    proxy: (connectionId) => proxies.get(connectionId),
    toJSON: () => ({
      proxies: [...proxies.values()],
      ...(lastPush ? { lastPush } : {}),
      rejectedSnapshots: Object.fromEntries(rejected),
    }),
  };
}
