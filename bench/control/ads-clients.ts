// The simulated proxies' process (pinned to core 0): N ADS streams (h2-ads.ts, grpc-js or Connect), driven over IPC.
import { writeFileSync } from "node:fs";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { decodeStats } from "./ads-codec.ts";
import { createGrpcJsLeanAdsClient } from "./grpc-js-ads.ts";
import { createH2LeanAdsClient } from "./h2-ads.ts";
import { createLeanAdsClient, type LeanAdsClient } from "./lean-ads.ts";
import { type MeshShape, proxySpec } from "./layout.ts";
import type { ChangeWatch, SimClientKind, SimContext, SimProxy, SimStats } from "./sim-common.ts";
import { startDeltaProxy } from "./sim-delta.ts";
import { startSotwProxy } from "./sim-sotw.ts";
import { installProfileToggle } from "./profile-toggle.ts";
import { useNodeTextEncoding } from "../../adapters/node/protobuf-text-encoding.ts";

useNodeTextEncoding(); // the simulated proxies encode 600,000 EDS names in their subscriptions
// BENCH_CONTROL_PROFILE=<file> with BENCH_CONTROL_PROFILE_PROC=clients profiles this process (profile-toggle.ts).
if (process.env.BENCH_CONTROL_PROFILE && process.env.BENCH_CONTROL_PROFILE_PROC === "clients") {
  installProfileToggle(process.env.BENCH_CONTROL_PROFILE);
}

export type ClientCommand =
  | {
    /** Connects every simulated proxy's HTTP/2 connection (no stream yet); answered by "dialed". */
    readonly op: "dial";
    readonly port: number;
    readonly shape: MeshShape;
    /** Simulated proxies sharing one HTTP/2 connection (1 = a connection per proxy, like real sidecars). */
    readonly proxiesPerConnection: number;
    readonly client: SimClientKind;
  }
  | {
    /** Opens every proxy's ADS stream on the connections of "dial"; answered by "full". */
    readonly op: "connect";
    readonly mode: "sotw" | "delta";
    readonly shape: MeshShape;
    readonly timeoutMs: number;
  }
  | {
    readonly op: "change";
    readonly id: number;
    readonly file: string;
    readonly content: string;
    readonly cluster: string;
    readonly address: string;
    readonly timeoutMs: number;
  }
  | { readonly op: "close" };

export type ClientEvent =
  | { readonly ev: "ready" }
  | {
    readonly ev: "dialed";
    /** Wall-clock ms from the first connection attempt until every connection was up. */
    readonly connectMs: number;
    readonly connections: number;
  }
  | {
    readonly ev: "full";
    /** Wall-clock ms when the streams were opened (all 500 within a few ms, before any response). */
    readonly openedAt: number;
    /** Per proxy: ms from openedAt until it held and had ACKed everything it asked for (sorted). */
    readonly fullMs: readonly number[];
    readonly connected: number;
    readonly stats: SimStats;
  }
  | {
    readonly ev: "changed";
    readonly id: number;
    /** Wall-clock ms just before the file write. */
    readonly writtenAt: number;
    /** Per proxy that has the cluster: ms from the write until its ACK was sent (sorted). */
    readonly ackMs: readonly number[];
    readonly expected: number;
    readonly stats: SimStats;
  }
  | { readonly ev: "error"; readonly message: string };

/**
 * HTTP/2 flow-control windows of the simulated proxies (stream and connection). Node's default, 64 KiB, makes
 * a 1 MB push wait for ~16 WINDOW_UPDATE round trips through two busy event loops; Envoy's defaults are
 * 256 MiB. 64 MiB keeps the transfer from being the bottleneck.
 */
const WINDOW = 64 * 1024 * 1024;

/** Opens sessions with wide stream windows and widens each session's connection window once. */
class WideWindowSessionManager extends Http2SessionManager {
  private readonly widened = new WeakSet<object>();

  constructor(baseUrl: string) {
    super(baseUrl, undefined, { settings: { initialWindowSize: WINDOW } });
  }

  override async request(...args: Parameters<Http2SessionManager["request"]>) {
    const stream = await super.request(...args);
    const session = stream.session;
    if (session && !this.widened.has(session)) {
      this.widened.add(session);
      session.setLocalWindowSize(WINDOW);
    }
    return stream;
  }
}

const wall = () => performance.timeOrigin + performance.now();
const reply = (event: ClientEvent) => process.send!(event);

const stats: SimStats = {
  responses: 0,
  resources: 0,
  resourceBytes: 0,
  acks: 0,
  nacks: 0,
  errors: 0,
  decoded: 0,
};
const proxies: SimProxy[] = [];
let connected = 0;
let firstError: string | undefined;

function snapshotStats(): SimStats {
  const copy = { ...stats, decoded: decodeStats.misses };
  decodeStats.misses = 0;
  decodeStats.hits = 0;
  for (const k of Object.keys(stats) as (keyof SimStats)[]) stats[k] = 0;
  return copy;
}

/** Each proxy's client (proxies sharing a connection share one), connected by `dial`. */
let dialed: LeanAdsClient[] = [];

function newClient(cmd: Extract<ClientCommand, { op: "dial" }>): LeanAdsClient {
  if (cmd.client === "h2") return createH2LeanAdsClient(`127.0.0.1:${cmd.port}`, WINDOW);
  if (cmd.client === "grpc-js") return createGrpcJsLeanAdsClient(`127.0.0.1:${cmd.port}`, { window: WINDOW });
  const baseUrl = `http://127.0.0.1:${cmd.port}`;
  const sessionManager = new WideWindowSessionManager(baseUrl);
  const transport = createGrpcTransport({ baseUrl, sessionManager, acceptCompression: [] });
  return createLeanAdsClient(transport, async () => {
    const state = await sessionManager.connect();
    if (state === "error") throw new Error(`cannot connect to ${baseUrl}`);
  });
}

/**
 * Connects every proxy before the first push is timed: the benchmark measures a push to 500 connected proxies,
 * not one process setting up 500 connections in a row (≈ 0.3 s of its CPU); that time is reported apart.
 */
async function dial(cmd: Extract<ClientCommand, { op: "dial" }>): Promise<void> {
  const started = wall();
  const clients: LeanAdsClient[] = [];
  dialed = [];
  for (let p = 0; p < cmd.shape.proxies; p++) {
    if (p % cmd.proxiesPerConnection === 0) clients.push(newClient(cmd));
    dialed.push(clients[clients.length - 1]);
  }
  await Promise.all(clients.map((c) => c.ready()));
  reply({ ev: "dialed", connectMs: wall() - started, connections: clients.length });
}

function connect(cmd: Extract<ClientCommand, { op: "connect" }>): void {
  const fullAt = new Map<number, number>();
  let openedAt = 0;
  const timeout: { timer?: ReturnType<typeof setTimeout> } = {};
  const finish = () => {
    clearTimeout(timeout.timer);
    connected = fullAt.size;
    reply({
      ev: "full",
      openedAt,
      fullMs: [...fullAt.values()].map((t) => t - openedAt).sort((a, b) => a - b),
      connected,
      stats: snapshotStats(),
    });
  };
  const ctx: SimContext = {
    now: wall,
    watch: undefined,
    stats,
    onFull(proxy, at) {
      fullAt.set(proxy, at);
      if (fullAt.size === cmd.shape.proxies) finish();
    },
    onError(proxy, err) {
      stats.errors += 1;
      firstError ??= `proxy ${proxy}: ${(err as Error).message}`;
      if (stats.errors === 1) console.error(`ads-clients: ${firstError}`);
    },
  };
  openedAt = wall();
  for (let p = 0; p < cmd.shape.proxies; p++) {
    const start = cmd.mode === "sotw" ? startSotwProxy : startDeltaProxy;
    proxies.push(start(p, proxySpec(p, cmd.shape), dialed[p], ctx));
  }
  timeout.timer = setTimeout(() => {
    console.error(
      `ads-clients: only ${fullAt.size}/${cmd.shape.proxies} proxies complete; ${firstError ?? ""}`,
    );
    finish();
  }, cmd.timeoutMs);
  watchContext = ctx;
}

let watchContext: SimContext | undefined;

function change(cmd: Extract<ClientCommand, { op: "change" }>): void {
  const ctx = watchContext!;
  const expected = connected;
  const timeout: { timer?: ReturnType<typeof setTimeout> } = {};
  let writtenAt = 0;
  const done = () => {
    clearTimeout(timeout.timer);
    ctx.watch = undefined;
    reply({
      ev: "changed",
      id: cmd.id,
      writtenAt,
      ackMs: [...watch.acked.values()].map((t) => t - writtenAt).sort((a, b) => a - b),
      expected,
      stats: snapshotStats(),
    });
  };
  const watch: ChangeWatch = {
    cluster: cmd.cluster,
    address: cmd.address,
    acked: new Map(),
    onAck() {
      if (watch.acked.size === expected) done();
    },
  };
  ctx.watch = watch;
  timeout.timer = setTimeout(done, cmd.timeoutMs);
  writtenAt = wall();
  writeFileSync(cmd.file, cmd.content);
}

process.on("message", (cmd: ClientCommand) => {
  try {
    if (cmd.op === "dial") {
      dial(cmd).catch((err) => reply({ ev: "error", message: (err as Error).stack ?? String(err) }));
    } else if (cmd.op === "connect") connect(cmd);
    else if (cmd.op === "change") change(cmd);
    else {
      for (const p of proxies) p.close();
      setTimeout(() => process.exit(0), 200).unref();
      process.disconnect();
    }
  } catch (err) {
    reply({ ev: "error", message: (err as Error).stack ?? String(err) });
  }
});
process.on("disconnect", () => setTimeout(() => process.exit(0), 200).unref());
process.on("SIGTERM", () => process.exit(0)); // exit normally, so that --cpu-prof writes its profile
reply({ ev: "ready" });
