// Builds the edge gateway Worker offline (wrangler deploy --dry-run) into dist/worker and reports its size.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist/worker");
const config = join(root, ".wrangler/config");
mkdirSync(config, { recursive: true });
const minify = !process.argv.includes("--no-minify");
execFileSync(
  join(root, "node_modules/.bin/wrangler"),
  [
    "deploy",
    "--dry-run",
    "-c",
    join(root, "deploy/workers/wrangler.jsonc"),
    "--outdir",
    outdir,
    "--metafile",
    join(outdir, "bundle-meta.json"),
    ...(minify ? ["--minify"] : []),
  ],
  {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      XDG_CONFIG_HOME: config,
    },
  },
);
const bundle = join(outdir, "worker.js");
const size = statSync(bundle).size;
const gzipped = gzipSync(readFileSync(bundle), { level: 9 }).length;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `edge worker bundle: ${kib(size)}, gzipped ${kib(gzipped)} (Workers free-plan limit: 3 MiB gzipped)`,
);
