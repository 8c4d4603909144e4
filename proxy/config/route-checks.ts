// Route-table checks that the field table cannot express: required parts, unique names and domains, cluster refs.
import type { RouteConfiguration } from "../../gen/envoy/config/route/v3/route_pb.ts";
import type { RouteAction } from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import { fieldIssue as issue } from "./field-path.ts";
import type { FieldIssue, PathSegment } from "./field-path.ts";
import { didYouMean } from "./suggest.ts";

/** The clusters a reference may name; `dynamic` when clusters come from CDS and cannot be checked at load. */
export interface ClusterRefs {
  readonly names: ReadonlySet<string>;
  readonly dynamic: boolean;
}

/** Appends to `out` a cluster-reference issue when `name` is not a known cluster. */
export function checkClusterRef(
  name: string,
  at: readonly PathSegment[],
  refs: ClusterRefs,
  out: FieldIssue[],
) {
  if (refs.dynamic || refs.names.has(name)) return;
  if (name === "") {
    out.push(issue(at, "a cluster name is required", "value"));
    return;
  }
  const hint = didYouMean(name, refs.names) ||
    (refs.names.size === 0
      ? " (static_resources.clusters is empty)"
      : ` (defined: ${[...refs.names].slice(0, 10).join(", ")}${refs.names.size > 10 ? ", …" : ""})`);
  out.push(issue(at, `cluster "${name}" is not defined in static_resources.clusters${hint}`, "value"));
}

export function checkRouteConfiguration(
  rc: RouteConfiguration,
  at: readonly PathSegment[],
  clusters: ClusterRefs,
  out: FieldIssue[],
): void {
  const refs = rc.validateClusters === false ? { names: clusters.names, dynamic: true } : clusters;
  const vhostNames = new Map<string, number>();
  const domains = new Map<string, number>();
  rc.virtualHosts.forEach((vh, v) => {
    const vp = [...at, "virtual_hosts", v];
    if (vh.name === "") out.push(issue([...vp, "name"], "a virtual host needs a name"));
    else if (vhostNames.has(vh.name)) {
      out.push(
        issue(
          [...vp, "name"],
          `duplicate virtual host name "${vh.name}" (also virtual_hosts[${vhostNames.get(vh.name)}])`,
          "value",
        ),
      );
    } else vhostNames.set(vh.name, v);
    if (vh.domains.length === 0) {
      out.push(issue([...vp, "domains"], 'a virtual host needs at least one domain ("*" matches any host)'));
    }
    vh.domains.forEach((domain, d) => {
      const lower = domain.toLowerCase();
      const first = domains.get(lower);
      if (first !== undefined) {
        out.push(
          issue(
            [...vp, "domains", d],
            `domain "${domain}" is already used by virtual_hosts[${first}]`,
            "value",
          ),
        );
      } else domains.set(lower, v);
    });
    vh.routes.forEach((route, r) => {
      const rp = [...vp, "routes", r];
      if (route.match === undefined) {
        out.push(issue([...rp, "match"], 'a route needs a match, e.g. prefix: "/"'));
      }
      if (route.action.case === undefined) {
        out.push(issue(rp, "a route needs an action: route, redirect or direct_response", "value"));
      } else if (route.action.case === "route") {
        checkRouteAction(route.action.value, [...rp, "route"], refs, out);
      }
    });
  });
}

function checkRouteAction(
  action: RouteAction,
  at: readonly PathSegment[],
  refs: ClusterRefs,
  out: FieldIssue[],
) {
  const spec = action.clusterSpecifier;
  switch (spec.case) {
    case "cluster":
      checkClusterRef(spec.value, [...at, "cluster"], refs, out);
      return;
    case "weightedClusters": {
      const wp = [...at, "weighted_clusters", "clusters"];
      if (spec.value.clusters.length === 0) {
        out.push(issue(wp, "weighted_clusters needs at least one cluster"));
      }
      spec.value.clusters.forEach((c, i) => checkClusterRef(c.name, [...wp, i, "name"], refs, out));
      return;
    }
    case undefined:
      out.push(issue(at, "a route action needs cluster, weighted_clusters or cluster_header", "value"));
      return;
    default:
      return; // cluster_header is resolved per request
  }
}
