#!/usr/bin/env bash
# The whole test suite: format, lint, type checks, the runtime-boundary guard, vitest, deno test and vitest in workerd; ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
export CI="${CI:-}" DENO_NO_UPDATE_CHECK=1
passed=0; failed=0; skipped=0
step() { # step NAME CMD...: a static check counts as one test
  local name=$1; shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}
# The tests that run the `weft` command (bin/weft.js) run the bundle of the sources as they are now.
step "build dist/weft.mjs" node scripts/build.js
step "deno fmt --check" node scripts/deno.js fmt --check
step "deno lint" node scripts/deno.js lint
step "tsc (core, no runtime types)" node_modules/.bin/tsc -p tsconfig.core.json
step "tsc (all)" node_modules/.bin/tsc -p tsconfig.json
step "tsc (workers: adapter, edge gateway, workerd tests)" node_modules/.bin/tsc -p tsconfig.workers.json

counts=$(mktemp)
echo "== vitest"
WEFT_COUNT_FILE="$counts" node_modules/.bin/vitest run
vitest_rc=$?
if [ -s "$counts" ]; then
  read -r vp vf vs < <(node -e 'const c=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(c.passed,c.failed,c.skipped)' "$counts")
  if [ -z "${vp:-}" ]; then vp=0; vf=1; vs=0; echo "FAILED: could not read the vitest counts"; fi
  passed=$((passed + vp)); failed=$((failed + vf)); skipped=$((skipped + vs))
  if [ "$vitest_rc" -ne 0 ] && [ "$vf" -eq 0 ]; then failed=$((failed + 1)); fi
else
  failed=$((failed + 1)); echo "FAILED: vitest produced no result"
fi
rm -f "$counts"

# Deno: the conformance cases on the Deno adapter plus the Deno-only adapter tests (type-checked by deno).
echo "== deno test"
deno_out=$(mktemp)
node scripts/deno.js test -A tests/conformance/deno.test.ts tests/deno/ 2>&1 | tee "$deno_out"
deno_rc=${PIPESTATUS[0]}
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$deno_out" | tail -n 1)
if [ -n "$summary" ]; then
  dp=$(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$summary")
  df=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")
  di=$(grep -oE '[0-9]+ ignored' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
  echo "deno: $dp passed, $df failed, $di skipped"
  passed=$((passed + dp)); failed=$((failed + df)); skipped=$((skipped + di))
  if [ "$deno_rc" -ne 0 ] && [ "$df" -eq 0 ]; then failed=$((failed + 1)); fi
else
  failed=$((failed + 1)); echo "FAILED: deno test produced no summary"
fi
rm -f "$deno_out"

# Workers: the conformance cases and the edge tests inside workerd (vitest-pool-workers).
counts=$(mktemp)
echo "== vitest (workerd)"
WEFT_COUNT_FILE="$counts" node_modules/.bin/vitest run -c vitest.workers.config.ts
workers_rc=$?
if [ -s "$counts" ]; then
  read -r wp wf ws < <(node -e 'const c=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(c.passed,c.failed,c.skipped)' "$counts")
  if [ -z "${wp:-}" ]; then wp=0; wf=1; ws=0; echo "FAILED: could not read the workerd counts"; fi
  passed=$((passed + wp)); failed=$((failed + wf)); skipped=$((skipped + ws))
  if [ "$workers_rc" -ne 0 ] && [ "$wf" -eq 0 ]; then failed=$((failed + 1)); fi
else
  failed=$((failed + 1)); echo "FAILED: vitest (workerd) produced no result"
fi
rm -f "$counts"
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
