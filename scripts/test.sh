#!/usr/bin/env bash
# Quick start 2: install the dependencies, then
#   1. build the `release` preset (build/) and run every test (ctest, 2 at a time);
#   2. build the `asan` preset (build-asan/, AddressSanitizer + UndefinedBehaviorSanitizer) and run
#      the tests labelled `unit` there.
#   3. with --fuzz SECONDS: build the libFuzzer targets (preset `fuzz`, build-fuzz/) and run each
#      for SECONDS on its seed corpus (scripts/fuzz.sh).
# Exits non-zero if any step fails; the last line is a one-line summary.
#
#   scripts/test.sh                 # as in the README
#   scripts/test.sh --preset ci     # step 1 with the `ci` preset (build-ci/, -Werror): what CI runs
#   scripts/test.sh --fuzz 10       # and each fuzz target for 10 s (CI does)
#   JOBS=4 scripts/test.sh          # build jobs (default: nproc)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

preset=release
fuzz_seconds=0
while (($#)); do
  case "$1" in
    --preset) [[ $# -ge 2 ]] || { echo "test.sh: --preset needs a name" >&2; exit 2; }
              preset=$2; shift 2 ;;
    --fuzz) [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || { echo "test.sh: --fuzz needs seconds" >&2; exit 2; }
            fuzz_seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
jobs=${JOBS:-$(nproc)}
start=$SECONDS
summary=()
failed=0

step() { printf '\n== %s\n' "$*"; }

# build_and_test PRESET WHAT: configure, build, run the preset's test selection (CMakePresets.json).
build_and_test() {
  local p=$1 what=$2 log
  step "[$p] configure"
  if ! cmake --preset "$p"; then summary+=("$p: configure FAILED"); failed=1; return; fi
  step "[$p] build ($jobs jobs)"
  if ! cmake --build --preset "$p" -j "$jobs"; then summary+=("$p: build FAILED"); failed=1; return; fi
  step "[$p] ctest ($what)"
  log=$(mktemp)
  ctest --preset "$p" -j2 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # ctest's own tally: "N tests failed out of M".
  local tally counts=""
  tally=$(grep -Eo '[0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  rm -f "$log"
  if [[ $tally =~ ^([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+)$ ]]; then
    counts="$((BASH_REMATCH[2] - BASH_REMATCH[1]))/${BASH_REMATCH[2]} passed"
  fi
  if ((rc != 0)); then
    summary+=("$p: $what ${counts:-(no tests run)} FAILED"); failed=1
  else
    summary+=("$p: $what ${counts:-passed}")
  fi
}

step "Dependencies (Debian packages)"
if ! ./scripts/install-deps.sh; then
  echo "test.sh: FAILED: scripts/install-deps.sh failed"; exit 1
fi

build_and_test "$preset" "all tests"
build_and_test asan "unit tests under ASan+UBSan"
if ((fuzz_seconds > 0)); then
  step "[fuzz] libFuzzer targets, ${fuzz_seconds} s each"
  if STATCODER_JOBS=$jobs ./scripts/fuzz.sh "$fuzz_seconds"; then
    summary+=("fuzz: 7 targets x ${fuzz_seconds} s, no crash")
  else
    summary+=("fuzz: FAILED (build-fuzz/artifacts/)"); failed=1
  fi
fi

verdict=PASSED
((failed == 0)) || verdict=FAILED
joined=$(printf '%s; ' "${summary[@]}")
printf '\ntest.sh: %s in %d s — %s\n' "$verdict" $((SECONDS - start)) "${joined%; }"
exit "$failed"
