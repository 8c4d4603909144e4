// buildClusters: outbound EDS/DNS clusters per visible service port and subset; inbound STATIC clusters for a sidecar.
import { create } from "@bufbuild/protobuf";
import {
  type Cluster,
  Cluster_DiscoveryType as DiscoveryType,
  Cluster_DnsLookupFamily as DnsLookupFamily,
  ClusterSchema,
} from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import type { ProxyIdentity, ServiceInstance, ServicePort } from "../model/types.ts";
import type { PushContext } from "../push-context/push-context.ts";
import { outboundPlan, type PlannedCluster } from "./cluster-plan.ts";
import { clusterPolicyFields } from "./cluster-policy.ts";
import {
  createTranslateContext,
  proxyInstances,
  type TranslateContext,
  type WarningSink,
} from "./context.ts";
import { loadAssignment } from "./load-assignment.ts";
import { inboundClusterName } from "./names.ts";
import { joinShared, memoContent, memoOutbound, memoPush, memoRouting, objectId } from "./outbound-cache.ts";
import { adsConfigSource } from "./proto.ts";
import { effectivePolicy } from "./traffic-policy.ts";

/** The proxy's clusters, sorted by name: outbound for every proxy type, inbound for sidecars. */
export function buildClusters(
  push: PushContext,
  proxy: ProxyIdentity,
  warn?: WarningSink,
): readonly Cluster[] {
  const outbound = memoOutbound(push, proxy, "clusters", warn, (w) => {
    const plan = outboundPlan(push, proxy, w);
    const build = (w2: WarningSink) => {
      const ctx = createTranslateContext(push, proxy, w2);
      return Object.freeze(plan.map((c) => memoCluster(ctx, c)));
    };
    // Only DNS clusters (endpoints inline) and NONE ones (a warning when empty) read instances; without them the
    // list is kept, as one object, while routing config is unchanged — an endpoint edit leaves CDS alone.
    return plan.some(readsInstances) ? build(w) : memoRouting(push, proxy, "clusters", w, build);
  });
  if (proxy.type !== "sidecar") return outbound;
  return joinShared(push, outbound, inboundClusters(createTranslateContext(push, proxy, warn)));
}

const readsInstances = (c: PlannedCluster) => c.service.resolution !== "STATIC";

/**
 * An outbound cluster depends on the proxy's type, its name, the service's resolution and port protocol, and the
 * traffic policy that applies: EDS clusters are kept from push to push under that key (proxy classes share them).
 * DNS clusters carry their endpoints inline and are shared within a push only.
 */
function memoCluster(ctx: TranslateContext, c: PlannedCluster): Cluster {
  const build = (warn: WarningSink) => outboundCluster({ ...ctx, warn }, c);
  const { push, proxy } = ctx;
  if (c.service.resolution === "DNS") {
    return memoPush(
      push,
      `cds-dns\u0000${proxy.type}\u0000${c.name}\u0000${objectId(c.rule)}`,
      ctx.warn,
      build,
    );
  }
  const empty = c.service.resolution === "NONE" &&
    push.instances(c.service.hostname, c.port.port).length === 0;
  return memoContent(push, `${edsClusterKey(proxy.type, c)}\u0000${empty}`, ctx.warn, build);
}

const edsKeys = new WeakMap<PlannedCluster, string>();

/** What an EDS cluster is built from, apart from whether it has instances; once per planned cluster. */
function edsClusterKey(proxyType: string, c: PlannedCluster): string {
  let key = edsKeys.get(c);
  if (key === undefined) {
    const policy = effectivePolicy(c.rule, c.port.port, c.subset?.name);
    key = `cds\u0000${proxyType}\u0000${c.name}\u0000${c.service.resolution}\u0000${c.port.protocol}` +
      `\u0000${JSON.stringify(policy)}`;
    edsKeys.set(c, key);
  }
  return key;
}

function outboundCluster(ctx: TranslateContext, c: PlannedCluster): Cluster {
  const policy = effectivePolicy(c.rule, c.port.port, c.subset?.name);
  const fields = clusterPolicyFields(ctx, c.name, policy, c.port.protocol);
  if (c.service.resolution !== "DNS") {
    if (c.service.resolution === "NONE" && ctx.push.instances(c.service.hostname, c.port.port).length === 0) {
      ctx.warn(
        `${c.name}: resolution NONE without endpoints needs original-destination passthrough, which is not supported`,
      );
    }
    return create(ClusterSchema, {
      name: c.name,
      clusterDiscoveryType: { case: "type", value: DiscoveryType.EDS },
      edsClusterConfig: { edsConfig: adsConfigSource(), serviceName: c.name },
      ...fields,
    });
  }
  const labels = c.subset === undefined ? undefined : c.subset.labels ?? {};
  let instances: readonly ServiceInstance[] = ctx.push.instances(c.service.hostname, c.port.port, labels);
  if (instances.length === 0) instances = [dnsInstance(c.service.hostname, c.port)];
  const logical = ctx.proxy.type === "proxyless";
  if (logical && instances.length > 1) {
    ctx.warn(
      `${c.name}: proxyless gRPC resolves one DNS name per cluster; only ${instances[0].address} is used`,
    );
  }
  return create(ClusterSchema, {
    name: c.name,
    clusterDiscoveryType: {
      case: "type",
      value: logical ? DiscoveryType.LOGICAL_DNS : DiscoveryType.STRICT_DNS,
    },
    dnsLookupFamily: DnsLookupFamily.V4_ONLY,
    loadAssignment: loadAssignment(c.name, logical ? instances.slice(0, 1) : instances),
    ...fields,
  });
}

function dnsInstance(hostname: string, port: ServicePort): ServiceInstance {
  return {
    hostname,
    servicePort: port.port,
    address: hostname,
    port: port.targetPort,
    labels: {},
    namespace: "",
    weight: 1,
    healthy: true,
    registry: "",
  };
}

/** `inbound|<targetPort>||` → 127.0.0.1:<targetPort>, one per distinct workload port of the proxy's instances. */
function inboundClusters(ctx: TranslateContext): Cluster[] {
  const byPort = new Map<number, ServicePort>();
  for (const i of proxyInstances(ctx)) {
    const port = ctx.push.service(i.hostname)?.ports.find((p) => p.port === i.servicePort);
    if (port !== undefined && !byPort.has(i.port)) byPort.set(i.port, port);
  }
  return [...byPort].sort((a, b) => a[0] - b[0]).map(([target, port]) =>
    // The same for every sidecar with this workload port and protocol.
    memoContent(
      ctx.push,
      `cds-inbound\u0000${ctx.proxy.type}\u0000${target}\u0000${port.protocol}`,
      ctx.warn,
      (w) => {
        const name = inboundClusterName(target);
        const local: ServiceInstance = { ...dnsInstance("", port), address: "127.0.0.1", port: target };
        return create(ClusterSchema, {
          name,
          clusterDiscoveryType: { case: "type", value: DiscoveryType.STATIC },
          loadAssignment: loadAssignment(name, [local]),
          ...clusterPolicyFields(
            { ...ctx, warn: w },
            name,
            { loadBalancer: { simple: "ROUND_ROBIN" } },
            port.protocol,
          ),
        });
      },
    )
  );
}
