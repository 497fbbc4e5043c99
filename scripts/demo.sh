#!/usr/bin/env bash
# Quick start 1: install the dependencies, build statcoder (release preset) and run the main job on
# the bundled O*NET sample (examples/onet/): train a model, code new records, evaluate on held-out
# records. Output goes to demo-out/ (git-ignored). Safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

step "Dependencies (Debian packages)"
./scripts/install-deps.sh

jobs=${JOBS:-$(nproc)}
step "Build (cmake --preset release, $jobs jobs)"
cmake --preset release
cmake --build --preset release -j "$jobs"

statcoder=build/bin/statcoder
[[ -x "$statcoder" ]] || { echo "demo: $statcoder was not built" >&2; exit 1; }
mkdir -p demo-out

# ---- The main job. Keep these command lines in step with README.md ("Using statcoder"). --------
step "Train on examples/onet/train.tsv"
"$statcoder" train --data examples/onet/train.tsv --text title --label soc2018 \
  --codelist examples/onet/soc2018_codelist.tsv --codelist-parent-column parent \
  --threads 2 --seed 1 --out demo-out/model.stc

step "Code examples/onet/new.tsv (top 5 codes per record)"
"$statcoder" code --model demo-out/model.stc --data examples/onet/new.tsv --id id --top-k 5 \
  --out demo-out/coded.tsv

step "Evaluate on examples/onet/test.tsv (held out, labelled)"
"$statcoder" evaluate --model demo-out/model.stc --data examples/onet/test.tsv --label soc2018 \
  --report demo-out/report
# ---- End of the main job. --------------------------------------------------------------------

step "First coded records (demo-out/coded.tsv)"
head -n 6 demo-out/coded.tsv
echo "... $(($(wc -l <demo-out/coded.tsv) - 1)) records coded; model in demo-out/model.stc"
echo "demo: done"
