#!/usr/bin/env bash
# ctest entry of the pages' browser tests (review_page_test.js, or the test named first, e.g.
# monitor_page_test.js): skipped (exit 77) only when node, Chromium or this folder's
# node_modules is missing; any other failure fails.
#   run_review_page_test.sh [TEST.js] STATCODER_BIN SOURCE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
test_js=review_page_test.js
if [[ "${1:-}" == *.js ]]; then
  test_js=$1
  shift
fi
name=${test_js%.js}
node=${STATCODER_NODE:-$(command -v node || true)}
if [[ -z "$node" ]]; then
  echo "$name: SKIP: node is not installed (scripts/install-deps.sh installs it)"
  exit 77
fi
if [[ ! -x "${STATCODER_CHROMIUM:-/usr/bin/chromium}" ]]; then
  echo "$name: SKIP: no Chromium at ${STATCODER_CHROMIUM:-/usr/bin/chromium}"
  exit 77
fi
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  echo "$name: SKIP: playwright-core is not installed: run 'npm ci' in $here (scripts/install-deps.sh does; see its warning)"
  exit 77
fi
exec "$node" "$here/$test_js" "$@"
