#!/usr/bin/env bash
# `npm test`: typecheck, then every vitest test, then one plain `N passed, N failed` line that counts
# the typecheck as one check. Exits non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."
export AWS_EC2_METADATA_DISABLED=true
# The AWS SDK's own switch for its "releases from January 2027 need Node 22" warning: noise in a test
# report (README "Package notes" says what it means). Tests only; test/setup-env.ts sets it too.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
results=$(mktemp -t vitest-results.XXXXXX.json)
trap 'rm -f "$results"' EXIT

typecheck_failed=0
echo "== typecheck (tsc --noEmit)"
if ! npx tsc --noEmit; then typecheck_failed=1; fi

echo "== vitest"
# The `cdk init` app (about a minute: it installs jest, swc and the CDK CLI, then runs tsc, cdk synth
# and jest) runs in `npm run test:node-matrix`, under Node 20, 22 and 24, which CI runs after this;
# here it would push `npm test` past 5 minutes on 2 cores. `npx vitest run test/package/cdk-init.test.ts`
# runs it alone.
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" --exclude test/package/cdk-init.test.ts "$@"
vitest_status=$?

node test/summarize.mjs "$results" "$typecheck_failed" "$vitest_status"
