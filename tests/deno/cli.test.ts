// The Deno CLI (adapters/deno/cli.ts): argument parsing and --validate on the example bootstrap.
import { main, parseArgs } from "../../adapters/deno/cli.ts";
import { assert } from "../conformance/case-api.ts";

Deno.test("cli: parses -c, --access-log and --drain-time-s; rejects unknown flags and a missing -c", () => {
  assert.deepEqual(
    parseArgs(["-c", "a.yaml", "--access-log", "--drain-time-s", "2"]),
    { accessLog: true, validate: false, drainSeconds: 2, help: false, config: "a.yaml" },
    "parsed",
  );
  assert.equal(parseArgs(["--config=b.yaml"]) instanceof Object, true, "--config=");
  assert.equal(parseArgs(["-c", "a.yaml", "--nope"]), "unknown option --nope", "unknown flag");
  assert.equal(parseArgs([]), "-c <bootstrap> is required", "missing -c");
  assert.equal(parseArgs(["-c"]), "-c needs a value", "-c without a value");
});

Deno.test("cli: --validate accepts examples/front-proxy.yaml and exits 1 on a missing file", async () => {
  const lines: string[] = [];
  const log = console.log, error = console.error;
  console.log = (line: string) => lines.push(line);
  console.error = (line: string) => lines.push(line);
  try {
    assert.equal(await main(["-c", "examples/front-proxy.yaml", "--validate"]), 0, "valid bootstrap");
    assert.equal(lines.at(-1), "examples/front-proxy.yaml: ok", "message");
    assert.equal(await main(["-c", "examples/nope.yaml", "--validate"]), 1, "missing file");
    assert.match(
      lines.at(-1),
      /^weft \(deno\): cannot read bootstrap examples\/nope\.yaml: No such file/,
      "error",
    );
  } finally {
    console.log = log;
    console.error = error;
  }
});
