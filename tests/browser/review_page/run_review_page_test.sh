#!/usr/bin/env bash
# ctest entry of the review page's browser test (review_page_test.js): skipped (exit 77) only
# when node, Chromium or this folder's node_modules is missing; any other failure fails.
#   run_review_page_test.sh STATCODER_BIN SOURCE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
node=${STATCODER_NODE:-$(command -v node || true)}
if [[ -z "$node" ]]; then
  echo "review_page_test: SKIP: node is not installed (scripts/install-deps.sh installs it)"
  exit 77
fi
if [[ ! -x "${STATCODER_CHROMIUM:-/usr/bin/chromium}" ]]; then
  echo "review_page_test: SKIP: no Chromium at ${STATCODER_CHROMIUM:-/usr/bin/chromium}"
  exit 77
fi
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  echo "review_page_test: SKIP: run 'npm ci' in $here (scripts/install-deps.sh does)"
  exit 77
fi
exec "$node" "$here/review_page_test.js" "$@"
