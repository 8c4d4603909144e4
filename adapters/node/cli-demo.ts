// `weft demo`: example upstreams behind a Weft proxy started from examples/front-proxy.yaml.
import { fileURLToPath } from "node:url";
import type { Server } from "node:http";
import { parseCommandArgs } from "./cli.ts";
import { startNodeProxy } from "./start-proxy.ts";
import { startEchoServer } from "../../examples/echo-server.ts";

const USAGE = `Usage: weft demo

Starts three example upstreams (service_a on 127.0.0.1:18081 and :18082, service_b on :18083) and
a Weft proxy in front of them from examples/front-proxy.yaml, listening on 127.0.0.1:10000 with
its admin interface on 127.0.0.1:9901. Press Ctrl-C to stop.
`;

export async function runDemoCommand(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, {}, USAGE);
  if (!args) return 2;
  if ((args.values as { help?: boolean }).help) {
    console.log(USAGE);
    return 0;
  }
  const upstreams: Server[] = await Promise.all([
    startEchoServer("service_a-1", 18081),
    startEchoServer("service_a-2", 18082),
    startEchoServer("service_b", 18083),
  ]);
  const configPath = fileURLToPath(new URL("../../examples/front-proxy.yaml", import.meta.url));
  const running = (await startNodeProxy({ configPath, accessLog: true }))!;
  console.log(`
Weft demo is up: a proxy on 127.0.0.1:10000 in front of service_a (2 instances) and service_b.

  curl -s localhost:10000/service/hello                  # 80% service_a (round robin), 20% service_b
  curl -s -H 'x-canary: true' localhost:10000/service/x  # header match → service_b
  curl -si localhost:10000/old/thing                     # 302 redirect to /service/thing
  curl -s --http2-prior-knowledge localhost:10000/healthz  # HTTP/2 (h2c), direct response
  curl -s localhost:9901/stats/prometheus | grep rq_total  # admin: stats, /clusters, /config_dump

Config: examples/front-proxy.yaml (an ordinary Envoy v3 bootstrap). Ctrl-C stops.
`);
  await new Promise<void>((resolve) => {
    const stop = async () => {
      await running.stop(1000);
      for (const s of upstreams) s.close();
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    running.onQuit(stop);
  });
  return 0;
}
