// Virtual hosts: the domains a service answers to, and which mesh VirtualService (if any) routes a host.
import type { Service } from "../model/types.ts";
import { hostMatches } from "../push-context/hosts.ts";
import { MESH_GATEWAY, type VirtualServiceView } from "../push-context/views.ts";
import type { TranslateContext } from "./context.ts";

/**
 * Istio's sidecar domains for a service port: the FQDN and FQDN:port; for Kubernetes services also
 * name.ns, name.ns.svc (each with :port) and, for a proxy in the same namespace, the bare name; the
 * ClusterIP when there is one.
 */
export function sidecarDomains(ctx: TranslateContext, svc: Service, port: number): string[] {
  const out = [svc.hostname, `${svc.hostname}:${port}`];
  const kubeSuffix = `.${svc.namespace}.svc.${ctx.push.domainSuffix}`;
  if (svc.hostname.endsWith(kubeSuffix)) {
    const name = svc.hostname.slice(0, -kubeSuffix.length);
    if (svc.namespace === ctx.proxy.namespace) out.push(name, `${name}:${port}`);
    out.push(`${name}.${svc.namespace}`, `${name}.${svc.namespace}:${port}`);
    out.push(`${name}.${svc.namespace}.svc`, `${name}.${svc.namespace}.svc:${port}`);
  }
  if (svc.address !== undefined) out.push(svc.address, `${svc.address}:${port}`);
  return out;
}

/** Takes the domains not yet used in this route configuration (Envoy rejects duplicates) and marks them used. */
export function claimDomains(used: Set<string>, domains: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of domains) {
    const key = d.toLowerCase();
    if (used.has(key)) continue;
    used.add(key);
    out.push(d);
  }
  return out;
}

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
  for (const vs of ctx.push.virtualServicesFor(MESH_GATEWAY)) {
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
