// Process entry point of the `weft` command (the dist/ bundle starts here).
import { main } from "./cli.ts";

process.exitCode = await main(process.argv.slice(2));
