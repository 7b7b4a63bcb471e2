#!/usr/bin/env bash
# `npm test`: typecheck, then every vitest test, then one plain `N passed, N failed` line that counts
# the typecheck as one check. Exits non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."
export AWS_EC2_METADATA_DISABLED=true
results=$(mktemp -t vitest-results.XXXXXX.json)
trap 'rm -f "$results"' EXIT

typecheck_failed=0
echo "== typecheck (tsc --noEmit)"
if ! npx tsc --noEmit; then typecheck_failed=1; fi

echo "== vitest"
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
vitest_status=$?

node test/summarize.mjs "$results" "$typecheck_failed" "$vitest_status"
