// Vitest reporter that prints "N passed, N failed, N skipped" and saves the counts for scripts/test.sh.
import { writeFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    let passed = 0, failed = 0, skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      // A file that failed to load (syntax error, failing hook) counts as a failure.
      if (
        mod.state() === "failed" && ![...mod.children.allTests()].some((t) => t.result().state === "failed")
      ) {
        failed++;
      }
    }
    failed += errors.length;
    const line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
    console.log(`\nvitest: ${line}`);
    const out = process.env.WEFT_COUNT_FILE;
    if (out) writeFileSync(out, JSON.stringify({ passed, failed, skipped }));
  }
}
