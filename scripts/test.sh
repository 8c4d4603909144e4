#!/usr/bin/env bash
# The whole test suite: format, lint, type checks, the runtime-boundary guard and vitest; ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
export CI="${CI:-}" DENO_NO_UPDATE_CHECK=1
passed=0; failed=0; skipped=0
step() { # step NAME CMD...: a static check counts as one test
  local name=$1; shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}
step "deno fmt --check" node scripts/deno.js fmt --check
step "deno lint" node scripts/deno.js lint
step "tsc (core, no runtime types)" node_modules/.bin/tsc -p tsconfig.core.json
step "tsc (all)" node_modules/.bin/tsc -p tsconfig.json

counts=$(mktemp)
echo "== vitest"
WEFT_COUNT_FILE="$counts" node_modules/.bin/vitest run
vitest_rc=$?
if [ -s "$counts" ]; then
  read -r vp vf vs < <(node -e 'const c=require(process.argv[1]);console.log(c.passed,c.failed,c.skipped)' "$counts")
  passed=$((passed + vp)); failed=$((failed + vf)); skipped=$((skipped + vs))
  if [ "$vitest_rc" -ne 0 ] && [ "$vf" -eq 0 ]; then failed=$((failed + 1)); fi
else
  failed=$((failed + 1)); echo "FAILED: vitest produced no result"
fi
rm -f "$counts"
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
