// What every translator reads: the push context, the proxy, its Sidecar scope, and where warnings go.
import type { ProxyIdentity, ServiceInstance } from "../model/types.ts";
import type { PushContext } from "../push-context/push-context.ts";
import type { SidecarScope } from "../push-context/sidecar-scope.ts";

/** Receives one human-readable warning about config that was left out (e.g. unsupported fault injection). */
export type WarningSink = (message: string) => void;

export interface TranslateContext {
  readonly push: PushContext;
  readonly proxy: ProxyIdentity;
  readonly scope: SidecarScope;
  readonly warn: WarningSink;
}

export function createTranslateContext(
  push: PushContext,
  proxy: ProxyIdentity,
  warn: WarningSink = () => {},
): TranslateContext {
  return { push, proxy, scope: push.sidecarScope(proxy), warn };
}

const ownInstances = new WeakMap<PushContext, WeakMap<ProxyIdentity, readonly ServiceInstance[]>>();

/** The proxy's own service instances (by IP, else by the pod name in its node id); once per push and proxy. */
export function proxyInstances(ctx: TranslateContext): readonly ServiceInstance[] {
  let byProxy = ownInstances.get(ctx.push);
  if (byProxy === undefined) ownInstances.set(ctx.push, byProxy = new WeakMap());
  let list = byProxy.get(ctx.proxy);
  if (list === undefined) byProxy.set(ctx.proxy, list = findProxyInstances(ctx));
  return list;
}

function findProxyInstances(ctx: TranslateContext): readonly ServiceInstance[] {
  const { proxy, push } = ctx;
  if (proxy.ip !== undefined) {
    const byIp = push.instancesAt(proxy.ip).filter((i) => i.namespace === proxy.namespace);
    if (byIp.length > 0) return byIp;
  }
  const pod = podNameOf(proxy.id);
  if (pod === undefined) return [];
  return push.services.flatMap((s) =>
    s.ports.flatMap((p) =>
      push.instances(s.hostname, p.port).filter((i) =>
        i.workloadName === pod && i.namespace === proxy.namespace
      )
    )
  );
}

/** "sidecar~10.1.2.3~reviews-v1-abc.default~default.svc.cluster.local" → "reviews-v1-abc". */
function podNameOf(id: string): string | undefined {
  const parts = id.split("~");
  if (parts.length < 3 || parts[2] === "") return undefined;
  const dot = parts[2].indexOf(".");
  return dot < 0 ? parts[2] : parts[2].slice(0, dot);
}
