// What the connection manager needs from the route table for one request, whatever the table's internals.
import type { HeaderMap, RequestHead } from "./types.ts";
import type { RetrySpec } from "./router.ts";

export interface ForwardDecision {
  readonly kind: "forward";
  readonly cluster: string;
  readonly timeoutMs: number;
  readonly retry?: RetrySpec;
  readonly hash?: number;
  /** Whether an Upgrade: websocket request may be proxied on this route. */
  readonly websocket: boolean;
  /** Applies rewrites (path, host) and request header mutations to the upstream request in place. */
  prepareRequest(upstream: RequestHead): void;
  /** Applies response header mutations in place. */
  mutateResponse(headers: HeaderMap): void;
}

export interface DirectDecision {
  readonly kind: "direct";
  readonly status: number;
  readonly body?: string | Uint8Array;
  mutateResponse(headers: HeaderMap): void;
}

export interface RedirectDecision {
  readonly kind: "redirect";
  readonly status: number;
  readonly location: string;
  mutateResponse(headers: HeaderMap): void;
}

export type RouteDecision = ForwardDecision | DirectDecision | RedirectDecision;

export interface RouteResolver {
  /** undefined: no route (404 NR). */
  resolve(req: RequestHead & { readonly remoteAddress: string }, random: () => number): RouteDecision | undefined;
}
