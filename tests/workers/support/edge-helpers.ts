// Helpers for the edge tests inside workerd: a collecting ExecutionContext, the edge node, admin calls, echo reads.
import { create } from "@bufbuild/protobuf";
import { type Node, NodeSchema } from "../../../gen/envoy/config/core/v3/base_pb.ts";
import { EDGE_NODE_ID } from "./provided.ts";

/** An ExecutionContext that keeps what was handed to waitUntil, so a test can wait for background work. */
export function createTestContext() {
  const pending: Promise<unknown>[] = [];
  return {
    waitUntil(promise: Promise<unknown>) {
      pending.push(promise);
    },
    passThroughOnException() {},
    /** Waits for every background task, including ones started by those tasks. */
    async settle() {
      while (pending.length > 0) await Promise.allSettled(pending.splice(0));
    },
  };
}

/** The identity the fixed control server has a snapshot for. */
export function edgeNode(): Node {
  return create(NodeSchema, {
    id: EDGE_NODE_ID,
    metadata: { NAMESPACE: "edge", LABELS: { istio: "edgegateway" } },
  });
}

/** POST to the fixed control server's admin endpoint; returns the snapshot version it then serves. */
export async function admin(adminUrl: string, action: string): Promise<string> {
  const res = await fetch(`${adminUrl}/${action}`, { method: "POST" });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`admin ${action}: ${res.status} ${text}`);
  return text;
}

export interface Echo {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly port: number;
}

export async function echoOf(res: Response): Promise<Echo> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Echo;
  } catch {
    throw new Error(`expected an echo, got ${res.status}: ${text.slice(0, 200)}`);
  }
}
