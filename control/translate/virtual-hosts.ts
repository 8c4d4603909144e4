// Virtual hosts: the domains a service answers to, and which mesh VirtualService (if any) routes a host.
import type { Service } from "../model/types.ts";
import { hostCandidates, hostMatches } from "../push-context/hosts.ts";
import { MESH_GATEWAY, type VirtualServiceView } from "../push-context/views.ts";
import type { TranslateContext } from "./context.ts";
import { memoContent } from "./outbound-cache.ts";

/**
 * Istio's sidecar domains for a service port: the FQDN and FQDN:port; for Kubernetes services also
 * name.ns, name.ns.svc (each with :port) and, for a proxy in the same namespace, the bare name; the
 * ClusterIP when there is one. The list is shared (memoContent) by every proxy class and push that gets it —
 * never mutate it: its strings are built and hashed once, and virtual hosts are memoized on it (routes.ts).
 */
export function sidecarDomains(ctx: TranslateContext, svc: Service, port: number): readonly string[] {
  const own = svc.namespace === ctx.proxy.namespace;
  const { domainSuffix } = ctx.push;
  const key =
    `domains\u0000${svc.hostname}\u0000${svc.namespace}\u0000${svc.address}\u0000${port}\u0000${own}\u0000${domainSuffix}`;
  return memoContent(ctx.push, key, ctx.warn, () => Object.freeze(domainsOf(svc, port, own, domainSuffix)));
}

function domainsOf(svc: Service, port: number, own: boolean, domainSuffix: string): string[] {
  const out = [svc.hostname, `${svc.hostname}:${port}`];
  const kubeSuffix = `.${svc.namespace}.svc.${domainSuffix}`;
  if (svc.hostname.endsWith(kubeSuffix)) {
    const name = svc.hostname.slice(0, -kubeSuffix.length);
    if (own) out.push(name, `${name}:${port}`);
    out.push(`${name}.${svc.namespace}`, `${name}.${svc.namespace}:${port}`);
    out.push(`${name}.${svc.namespace}.svc`, `${name}.${svc.namespace}.svc:${port}`);
  }
  if (svc.address !== undefined) out.push(svc.address, `${svc.address}:${port}`);
  return out;
}

/**
 * Takes the domains not yet used in this route configuration (Envoy rejects duplicates) and marks them used:
 * `domains` itself when none was (the usual case, and it keeps a shared list shared).
 */
export function claimDomains(used: Set<string>, domains: readonly string[]): readonly string[] {
  let out: string[] | undefined;
  for (let i = 0; i < domains.length; i++) {
    const d = domains[i];
    const key = d.toLowerCase();
    if (used.has(key)) {
      out ??= domains.slice(0, i);
      continue;
    }
    used.add(key);
    out?.push(d);
  }
  return out ?? domains;
}

const vsHosts = (vs: VirtualServiceView) => vs.hosts;

/**
 * The VirtualService routing `hostname` for the mesh: an exact host beats a wildcard, a longer wildcard a
 * shorter one, and among equals the first in config order (Istio does not merge VirtualServices for
 * sidecars; the others are reported). `has` picks which section must be present (http by default).
 */
export function meshVirtualService(
  ctx: TranslateContext,
  hostname: string,
  has: (vs: VirtualServiceView) => boolean = (vs) => vs.http.length > 0,
): VirtualServiceView | undefined {
  let best: VirtualServiceView | undefined;
  let bestScore = -1;
  const tied: VirtualServiceView[] = [];
  const list = ctx.push.virtualServicesFor(MESH_GATEWAY);
  for (const i of hostCandidates(list, vsHosts, hostname)) {
    const vs = list[i];
    if (!has(vs) || !ctx.scope.isVirtualServiceVisible(vs)) continue;
    let score = -1;
    for (const h of vs.hosts) {
      if (!hostMatches(h, hostname)) continue;
      score = Math.max(score, h === hostname ? 1_000_000 : h.length);
    }
    if (score < 0) continue;
    if (score > bestScore) {
      best = vs;
      bestScore = score;
      tied.length = 0;
    } else if (score === bestScore) {
      tied.push(vs);
    }
  }
  if (best !== undefined && tied.length > 0) {
    const names = tied.map((v) => `${v.namespace}/${v.name}`).join(", ");
    ctx.warn(
      `host ${hostname}: VirtualServices ${names} are ignored; ${best.namespace}/${best.name} routes it`,
    );
  }
  return best;
}
