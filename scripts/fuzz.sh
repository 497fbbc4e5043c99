#!/usr/bin/env bash
# Builds statcoder's libFuzzer targets (CMake preset "fuzz", clang with ASan and UBSan, into
# build-fuzz/) and runs each for a given time on its seed corpus (fuzz/corpus/<target>/).
#
#   scripts/fuzz.sh [SECONDS] [TARGET ...]     # default 60 s each, all targets
#   scripts/fuzz.sh 10                         # what CI runs: 10 s each
#   scripts/fuzz.sh 3600 model_loader_fuzzer   # one target for an hour
#   scripts/fuzz.sh --runs 10000000            # each target for 10 million executions
#
# Targets: model_loader_fuzzer record_reader_fuzzer code_list_fuzzer config_fuzzer
# code_request_fuzzer. What a run finds goes to build-fuzz/corpus/<target>/ (the seeds in the
# repository are never written); a crash is written to build-fuzz/artifacts/<target>/ and makes
# the script exit 1. Each target's line of the summary gives its executions.
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: scripts/fuzz.sh [SECONDS | --runs EXECUTIONS] [TARGET ...]"
if [[ "${1:-}" == --runs ]]; then
  [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "$usage" >&2; exit 2; }
  budget=(-runs="$2")
  what="$2 executions"
  shift 2
else
  seconds=${1:-60}
  shift || true
  [[ "$seconds" =~ ^[0-9]+$ ]] || { echo "$usage" >&2; exit 2; }
  budget=(-max_total_time="$seconds")
  what="${seconds} s"
fi
all=(model_loader_fuzzer record_reader_fuzzer code_list_fuzzer config_fuzzer code_request_fuzzer
     crosswalk_fuzzer joint_model_fuzzer sdmx_structure_fuzzer series_tables_fuzzer)
targets=("${@:-${all[@]}}")

cmake --preset fuzz >/dev/null
nice -n 10 cmake --build build-fuzz -j"${STATCODER_JOBS:-2}" --target "${targets[@]}"

status=0
summary=()
for t in "${targets[@]}"; do
  name=${t%_fuzzer}
  work=build-fuzz/corpus/$t
  artifacts=build-fuzz/artifacts/$t/
  mkdir -p "$work" "$artifacts"
  log=build-fuzz/$t.log
  echo "== $t: $what"
  if build-fuzz/fuzz/"$t" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts" "$work" "fuzz/corpus/$name" >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (see $log and $artifacts)"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  summary+=("$(printf '%-22s %12s executions  %s' "$t" "$runs" "$result")")
done
echo
printf '%s\n' "${summary[@]}"
exit $status
