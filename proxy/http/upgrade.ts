// HTTP/1.1 Upgrade (WebSocket) through the proxy: handshake upstream, answer 101, then splice raw bytes.
import type { Runtime } from "../runtime/types.ts";
import type { UpstreamCluster } from "../cluster/cluster.ts";
import { isWeftError } from "../errors.ts";
import { splice } from "../network/tcp-proxy.ts";
import { localReply, replyForError, type ResponseFlag } from "./local-reply.ts";
import type { DownstreamRequest, HttpResponse, UpstreamRequest } from "./types.ts";
import { forwardableHeaders } from "./hop-by-hop.ts";

const WEBSOCKET_IDLE_MS = 3_600_000;

export async function proxyUpgrade(
  runtime: Runtime,
  cluster: UpstreamCluster,
  req: DownstreamRequest,
  upstream: UpstreamRequest,
  hash: number | undefined,
): Promise<{ response?: HttpResponse; flags: ResponseFlag[] }> {
  const host = cluster.pick({ hash });
  if (!host) {
    return {
      response: localReply(req, 503, `no healthy upstream in cluster ${cluster.name}`),
      flags: ["UH"],
    };
  }
  cluster.stats.upstream_rq_total.value++;
  try {
    const { response, connection } = await cluster.pool(host).upgrade({ ...upstream, body: null });
    if (!connection) {
      return {
        response: {
          status: response.status,
          headers: forwardableHeaders(response.headers),
          body: response.body,
        },
        flags: [],
      };
    }
    const headers = { ...response.headers };
    const downstream = req.upgrade!({ status: 101, headers });
    host.activeRequests++;
    splice(runtime, downstream, connection, WEBSOCKET_IDLE_MS).finally(() => host.activeRequests--);
    return { flags: [] };
  } catch (err) {
    const spec = replyForError(isWeftError(err) ? err.code : "upstream_reset");
    if (spec.flag === "UF") cluster.stats.upstream_cx_connect_fail.value++;
    return { response: localReply(req, spec.status, spec.message), flags: [spec.flag] };
  }
}
