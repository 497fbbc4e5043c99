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
step "Build the statcoder binary (cmake --preset release, $jobs jobs; the tests are built by test.sh)"
cmake --preset release
cmake --build --preset release -j "$jobs" --target statcoder

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

# ---- The same job in a workspace (lake, registry, gates, ethics, knowledge base, audit). -------
step "Workspace demo-out/ws: ingest, train with lineage, approve, promote, code"
ws=demo-out/ws
rm -rf "$ws"
export STATCODER_ACTOR=methodologist
"$statcoder" init "$ws" --codelist examples/onet/soc2018_codelist.tsv \
  --schema "text=title;label=soc2018;id=id"
snapshot=$("$statcoder" ingest "$ws" examples/onet/train.tsv --kind training --source "O*NET sample")
"$statcoder" train "$ws" --snapshot "$snapshot" --quiet
"$statcoder" ethics start "$ws" --model candidate > /dev/null
for item in $("$statcoder" ethics show "$ws" --model candidate --json |
              /usr/bin/python3 -c 'import json,sys; print(" ".join(i["id"] for i in json.load(sys.stdin)["items"]))'); do
  "$statcoder" ethics answer "$ws" --model candidate --item "$item" --rating met \
    --justification "demo: public job titles, no personal data" > /dev/null
done
"$statcoder" ethics submit "$ws" --model candidate > /dev/null
STATCODER_ACTOR=ethics-lead "$statcoder" ethics approve "$ws" --model candidate > /dev/null
"$statcoder" models promote "$ws" candidate
"$statcoder" kb add "$ws" --text "Dairy Department Manager" --code 41-1011 --note "coding manual"
"$statcoder" code "$ws" --data examples/onet/new.tsv --out demo-out/ws-coded.tsv
"$statcoder" monitor "$ws"
# One production cycle of a new batch (docs/cycle.md): ingest, code, refer, monitor, and retrain
# when due; a rerun of the same batch does nothing (exit 9).
"$statcoder" cycle "$ws" --batch examples/onet/new.tsv --period 2026-01
"$statcoder" cycle status "$ws"
"$statcoder" audit verify "$ws"
# ---- End of the workspace job. ---------------------------------------------------------------

step "First coded records (demo-out/coded.tsv)"
head -n 6 demo-out/coded.tsv
echo "... $(($(wc -l <demo-out/coded.tsv) - 1)) records coded; model in demo-out/model.stc"
echo "demo: done"
