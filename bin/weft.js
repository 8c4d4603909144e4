#!/usr/bin/env node
// The `weft` command: loads the TypeScript sources through tsx and runs the Node CLI.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../adapters/node/cli.ts");
process.exitCode = await main(process.argv.slice(2));
