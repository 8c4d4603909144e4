// Integration-test harness: real loopback upstreams, a proxy started in-process from YAML, and real clients.
import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
export { closedPort } from "./closed-port.ts";
import { createConfigRegistry } from "../../proxy/config/registry.ts";
import { loadBootstrap } from "../../proxy/config/load-bootstrap.ts";
import { createProxy, type Proxy } from "../../proxy/proxy.ts";
import { createNodeRuntime } from "../../adapters/node/runtime.ts";
import { createXdsTransport } from "../../adapters/node/xds-transport.ts";

export interface Upstream {
  readonly port: number;
  readonly server: Server;
  /** Requests seen, in order. */
  readonly seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[];
  close(): Promise<void>;
}

export type UpstreamHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  index: number,
) => void;

/** An HTTP/1.1 upstream on 127.0.0.1:<ephemeral>; the default handler echoes its name. */
export async function startUpstream(name: string, handler?: UpstreamHandler): Promise<Upstream> {
  const seen: Upstream["seen"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (handler) return handler(req, res, body, seen.length - 1);
      res.writeHead(200, { "content-type": "text/plain", "x-upstream": name });
      res.end(name);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TestProxy {
  readonly proxy: Proxy;
  /** Port of the n-th listener. */
  port(n?: number): number;
  close(): Promise<void>;
}

export async function startProxy(yaml: string, options: { log?: string[] } = {}): Promise<TestProxy> {
  const bootstrap = loadBootstrap(yaml, "test.yaml", createConfigRegistry());
  const runtime = createNodeRuntime({ log: (line) => options.log?.push(line) });
  const proxy = await createProxy({
    runtime,
    bootstrap,
    accessLog: options.log !== undefined,
    xdsTransport: createXdsTransport,
  });
  return {
    proxy,
    port: (n = 0) => proxy.listeners[n].port,
    close: () => proxy.drain(100),
  };
}

/** An HCM listener on an ephemeral port routing with the given virtual hosts/routes YAML (indented). */
export function httpBootstrap(opts: { routes: string; clusters: string; hcmExtra?: string }): string {
  return `
static_resources:
  listeners:
    - name: test
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: test
${indent(opts.hcmExtra ?? "", 16)}
                route_config:
${indent(opts.routes, 18)}
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
${indent(opts.clusters, 4)}
`;
}

/** A STATIC cluster YAML list item over loopback ports. */
export function staticCluster(name: string, ports: readonly number[], extra = ""): string {
  return `- name: ${name}
  type: STATIC
  connect_timeout: 0.5s
${indent(extra, 2)}
  load_assignment:
    cluster_name: ${name}
    endpoints:
      - lb_endpoints:
${
    ports.map((p) =>
      `          - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${p} } } }`
    ).join("\n")
  }
`;
}

export function indent(text: string, n: number): string {
  const pad = " ".repeat(n);
  return text.split("\n").map((l) => (l.trim() ? pad + l : l)).join("\n");
}

export interface CurlResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly httpVersion: string;
}

/** Runs the real curl; `-s -i` output is parsed into status, headers and body. */
export function curl(args: readonly string[]): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "curl",
      ["-s", "-i", "--max-time", "10", ...args],
      { encoding: "utf8", maxBuffer: 16 << 20 },
      (err, stdout) => {
        if (err && !stdout) return reject(err);
        resolve(parseCurl(stdout));
      },
    );
  });
}

function parseCurl(out: string): CurlResult {
  // Skip interim 1xx responses (100 Continue).
  let rest = out;
  while (/^HTTP\/[\d.]+ 1\d\d/.test(rest)) rest = rest.slice(rest.indexOf("\r\n\r\n") + 4);
  const end = rest.indexOf("\r\n\r\n");
  const head = rest.slice(0, end).split("\r\n");
  const [version, code] = head[0].split(" ");
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(code), headers, body: rest.slice(end + 4), httpVersion: version };
}

/** Cluster `extra` YAML that makes the proxy speak HTTP/2 (h2c, or h2 over TLS) to the upstream. */
export const HTTP2_UPSTREAM = `typed_extension_protocol_options:
  envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
    "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
    explicit_http_config: { http2_protocol_options: {} }`;
