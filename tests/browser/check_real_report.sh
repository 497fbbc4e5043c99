#!/usr/bin/env bash
# Browser test of a real quality report: trains a small model on the bundled example, writes the
# report with `statcoder evaluate --report --group` and checks the page in headless Chromium
# (check_report_page.py: renders, no console errors, charts drawn, every section present, the
# summary sentences on the first screen).
#   check_real_report.sh STATCODER_BIN SOURCE_DIR
# Exit 77 (ctest: skipped) when Chromium is not installed.
set -euo pipefail
statcoder=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
onet=$src/examples/onet
"$statcoder" train --data "$onet/train.tsv" --text title --label soc2018 \
  --codelist "$onet/soc2018_codelist.tsv" --epochs 5 --quiet --out "$work/model.stc" >/dev/null
# A collection-mode column, so the report has subgroups.
awk -F'\t' -v OFS='\t' 'NR == 1 {print $0, "mode"; next} {print $0, (NR % 3 ? "web" : "phone")}' \
  "$onet/test.tsv" >"$work/test.tsv"
"$statcoder" evaluate --model "$work/model.stc" --data "$work/test.tsv" --label soc2018 \
  --group mode --report "$work/report" --bootstrap 200 --quiet >/dev/null
sections=()
for s in summary data accuracy coding calibration explainability reproducibility timeliness \
  cost subgroups; do
  sections+=(--expect-section "$s")
done
exec /usr/bin/python3 "$src/tests/browser/check_report_page.py" "$work/report/report.html" \
  --min-charts 8 --expect-summary --first-screen 1280x900 "${sections[@]}"
