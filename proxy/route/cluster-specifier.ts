// RouteAction's cluster choice (cluster, cluster_header, weighted_clusters) compiled once, resolved per request.
import type { RouteAction, WeightedCluster } from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import { configError } from "./config-error.ts";
import { compileHeaderMutation, type HeaderMutation, type HeaderMutationLevel } from "./header-mutation.ts";
import type { RequestView } from "./request-view.ts";
import type { HostRewrite } from "./rewrite.ts";

/** One weighted_clusters entry, its header programs already merged with the enclosing levels. */
export interface WeightedClusterEntry {
  /** The cluster name; "" when it comes from `clusterHeader`. */
  readonly name: string;
  /** cluster_header of the entry (lower-case), if any. */
  readonly clusterHeader: string | undefined;
  readonly weight: number;
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
  /** The entry's host_rewrite_literal, which overrides the route's host rewrite. */
  readonly hostRewrite: HostRewrite | undefined;
}

export type ClusterSpecifier =
  | { readonly kind: "cluster"; readonly name: string }
  | { readonly kind: "cluster_header"; readonly header: string }
  | {
    readonly kind: "weighted";
    readonly entries: readonly WeightedClusterEntry[];
    /** Running sums of the weights; the last is the total. */
    readonly cumulative: readonly number[];
    /** random_value_specifier.header_name (lower-case): a uint64 header used instead of a random draw. */
    readonly randomHeader: string | undefined;
  };

/** Levels of header mutation enclosing the route's action: route, virtual host, configuration. */
export interface EnclosingHeaders {
  readonly request: readonly HeaderMutationLevel[];
  readonly response: readonly HeaderMutationLevel[];
  readonly mostSpecificWins: boolean;
}

export function compileClusterSpecifier(
  action: RouteAction,
  path: string,
  enclosing: EnclosingHeaders,
): ClusterSpecifier {
  const spec = action.clusterSpecifier;
  switch (spec.case) {
    case "cluster":
      if (spec.value === "") throw configError(`${path}.cluster`, "a cluster name is required");
      return { kind: "cluster", name: spec.value };
    case "clusterHeader":
      if (spec.value === "") throw configError(`${path}.cluster_header`, "a header name is required");
      return { kind: "cluster_header", header: spec.value.toLowerCase() };
    case "weightedClusters":
      return compileWeighted(spec.value, `${path}.weighted_clusters`, enclosing);
    case "clusterSpecifierPlugin":
    case "inlineClusterSpecifierPlugin":
      throw configError(path, "cluster specifier plugins are not supported");
    default:
      throw configError(path, "one of cluster, cluster_header or weighted_clusters is required");
  }
}

function compileWeighted(w: WeightedCluster, path: string, enclosing: EnclosingHeaders): ClusterSpecifier {
  if (w.clusters.length === 0) throw configError(`${path}.clusters`, "at least one cluster is required");
  const cumulative: number[] = [];
  let total = 0;
  const entries = w.clusters.map((c, i): WeightedClusterEntry => {
    const at = `${path}.clusters[${i}]`;
    if ((c.name === "") === (c.clusterHeader === "")) {
      throw configError(at, "exactly one of name and cluster_header is required");
    }
    total += c.weight ?? 0;
    cumulative.push(total);
    const level = (kind: "request" | "response"): HeaderMutationLevel => ({
      add: kind === "request" ? c.requestHeadersToAdd : c.responseHeadersToAdd,
      remove: kind === "request" ? c.requestHeadersToRemove : c.responseHeadersToRemove,
      path: `${at}.${kind}_headers_to_`,
    });
    const host = c.hostRewriteSpecifier;
    return {
      name: c.name,
      clusterHeader: c.clusterHeader === "" ? undefined : c.clusterHeader.toLowerCase(),
      weight: c.weight ?? 0,
      requestHeaders: compileHeaderMutation(
        [level("request"), ...enclosing.request],
        enclosing.mostSpecificWins,
      ),
      responseHeaders: compileHeaderMutation(
        [level("response"), ...enclosing.response],
        enclosing.mostSpecificWins,
      ),
      hostRewrite: host.case === "hostRewriteLiteral" ? { kind: "literal", value: host.value } : undefined,
    };
  });
  if (total <= 0) throw configError(`${path}.clusters`, "the sum of the weights must be greater than 0");
  if (total > 0xffffffff) throw configError(`${path}.clusters`, "the sum of the weights must fit in 32 bits");
  if ((w.totalWeight ?? 0) > 0 && w.totalWeight !== total) {
    throw configError(`${path}.total_weight`, `is ${w.totalWeight} but the weights sum to ${total}`);
  }
  const header = w.randomValueSpecifier.case === "headerName"
    ? w.randomValueSpecifier.value.toLowerCase()
    : undefined;
  return { kind: "weighted", entries, cumulative, randomHeader: header };
}

const UINT = /^\d+$/;

/**
 * Picks a weighted cluster: a draw in [0, total) (from `random`, or the random-value header when
 * configured and a valid unsigned integer) walks the running sums. Zero-weight entries are never picked.
 */
export function pickWeightedCluster(
  spec: Extract<ClusterSpecifier, { kind: "weighted" }>,
  req: RequestView,
): WeightedClusterEntry {
  const cumulative = spec.cumulative;
  const total = cumulative[cumulative.length - 1];
  let draw: number | undefined;
  if (spec.randomHeader !== undefined) {
    const value = req.header(spec.randomHeader);
    if (value !== undefined && UINT.test(value)) draw = Number(BigInt(value) % BigInt(total));
  }
  draw ??= Math.floor(req.input.random() * total);
  for (let i = 0; i < cumulative.length; i++) {
    if (draw < cumulative[i]) return spec.entries[i];
  }
  return spec.entries[spec.entries.length - 1];
}

/** A request header's first value ("" when absent): the cluster name for cluster_header. */
export function clusterFromHeader(req: RequestView, header: string): string {
  const value = req.input.headers[header];
  return (typeof value === "string" ? value : value?.[0]) ?? "";
}
