#!/usr/bin/env bash
# Installs every build, test and run dependency of statcoder from Debian 12 (bookworm) packages,
# and the review page's browser test's one npm package (playwright-core, pinned by
# tests/browser/review_page/package-lock.json; `npm ci`, no browser download). Nothing else is
# downloaded from anywhere but the Debian archive configured in /etc/apt and the npm registry.
#
#   scripts/install-deps.sh           # what building, testing and the demo need
#   scripts/install-deps.sh --bench   # also the peers the benchmark compares against (fastText, scikit-learn)
#
# Idempotent: when every package is already installed it only says so (no apt-get update, no root
# needed). Otherwise it runs `apt-get update` then `apt-get install` non-interactively, through
# sudo when not root. `npm ci` runs only when the test's node_modules is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git   # toolchain
  clang                                              # libFuzzer targets (fuzz/, scripts/fuzz.sh)
  libutf8proc-dev                                    # Unicode normalisation (text)
  nlohmann-json3-dev                                 # JSON (model metadata, --json output, server)
  libcli11-dev                                       # command line (tools/cli)
  libsodium-dev                                      # hashing, tokens
  libsqlite3-dev                                     # workspace metadata store
  sqlite3                                            # its shell, for the audit tamper test
  libtomlplusplus-dev                                # statcoder.toml (workspace)
  libpugixml-dev                                     # SDMX-ML structure messages (src/sdmx)
  libboost-dev                                       # Boost.Beast/Asio: HTTP engine of `statcoder serve`
  libcpp-httplib-dev                                 # HTTP client of the server tests
  libgtest-dev libgmock-dev googletest               # tests
  libbenchmark-dev                                   # bench/ kernels
  python3                                            # Debian's /usr/bin/python3 for scripts/*.py
  pybind11-dev python3-dev python3-numpy python3-pandas python3-dask python3-distributed python3-pytest  # Python package (python/) and its tests
  libjs-chart.js                                     # Chart.js, inlined into report.html
  chromium                                           # headless browser tests (report.html, review page)
  nodejs                                             # Playwright for the review page's browser test
)
# Debian's nodejs comes without npm; other builds of nodejs (e.g. NodeSource's, also named nodejs)
# bundle it and conflict with Debian's npm package, so npm is only asked for when missing.
command -v npm >/dev/null || packages+=(npm)
bench_packages=(fasttext python3-sklearn python3-numpy wrk)

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=("${bench_packages[@]}") ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
# The review page's browser test: playwright-core as its package-lock.json pins it.
review_page_test=$(cd "$(dirname "$0")/.." && pwd)/tests/browser/review_page
# Without it the build and every other test still work, so a registry that cannot be reached
# (no network, or a TLS-intercepting proxy whose CA this machine does not trust) is a loud
# warning, not a failure: the two browser tests then report SKIP with the reason.
npm_ci() {
  [[ -d "$review_page_test/node_modules/playwright-core" ]] && return 0
  echo "install-deps: npm ci in $review_page_test"
  if ! (cd "$review_page_test" && npm ci --no-audit --no-fund --loglevel=error); then
    echo "install-deps: WARNING: 'npm ci' failed (above): playwright-core is not installed, so" \
         "the review and monitoring pages' browser tests will be SKIPPED; fix the npm registry" \
         "access and rerun this script" >&2
  fi
}

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  npm_ci
  exit 0
fi

if [[ ! -r /etc/os-release ]] || ! grep -q '^VERSION_CODENAME=bookworm' /etc/os-release; then
  echo "install-deps: warning: this script targets Debian 12 (bookworm); package names may differ here" >&2
fi

sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "install-deps: not root and sudo is not installed" >&2; exit 1; }
  sudo=(sudo)
fi
apt_env=(env DEBIAN_FRONTEND=noninteractive)

echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" "${apt_env[@]}" apt-get update -q
"${sudo[@]}" "${apt_env[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
npm_ci
echo "install-deps: done"
