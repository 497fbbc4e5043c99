#!/usr/bin/python3
"""Regenerates examples/onet/ (the bundled demo data) from the O*NET 27.0 titles in ../shared/data.

Deterministic: the same input files always give byte-identical output (no randomness, no clock;
every choice is an order by SHA-256 of a code or title). Standard library only.

    /usr/bin/python3 scripts/make_example_data.py            # rewrite examples/onet/*.tsv
    /usr/bin/python3 scripts/make_example_data.py --check    # exit 1 if the committed files differ

Sample (also described in examples/onet/README.md):
  1. Titles: every row of onet27_titles.tsv (occupation, alternate and reported titles). Within one
     SOC 2018 detailed code, titles equal after case folding and whitespace collapsing are kept
     once (first in file order), so a title cannot sit in both train and test under the same code.
     The same title under different codes is kept: that ambiguity is real.
  2. Eligible detailed codes: MIN_TITLES..MAX_TITLES distinct titles, and a minor group that the
     digits give (first 3 digits + "000"). SOC 2018 minor groups 15-1200, 31-1100 and 51-5100 do
     not follow that rule, so codes 15-1xxx, 31-1xxx and 51-5xxx are left out rather than given a
     wrong parent.
  3. Per major group: broad occupations (first 5 digits + "0") in order of SHA-256 of their code;
     a broad occupation is taken whole (all its eligible detailed codes) if the major group then
     has at most MAX_PER_MAJOR codes; stop once it has at least MIN_PER_MAJOR. Taking whole broad
     occupations keeps near-synonym siblings together (e.g. the drafters), which is what makes
     coding hard.
  4. Split per detailed code: titles in order of SHA-256("split", code, title); the first
     round(TEST_SHARE * n) (at least 1) go to test.tsv, the rest to train.tsv.
  5. Ids: 1..N over the whole sample in order of SHA-256("id", code, title), so ids say nothing
     about the code. Files are sorted by id.
  6. new.tsv: the NEW_ROWS test rows with the smallest ids, without the label columns.
  7. soc2018_codelist.tsv: major group → minor group → broad occupation → detailed occupation for
     the sampled codes. Titles of detailed codes are the O*NET-SOC "<code>.00" occupation titles;
     group titles are not in the source data and are left empty.
"""

import argparse
import csv
import hashlib
import pathlib
import sys
from collections import defaultdict

MIN_TITLES = 20
MAX_TITLES = 300
MIN_PER_MAJOR = 3
MAX_PER_MAJOR = 4
TEST_SHARE = 0.2
NEW_ROWS = 50
# SOC 2018 minor groups whose code is not "first 3 digits + 000" (see step 2 above).
IRREGULAR_MINOR_PREFIXES = ("15-1", "31-1", "51-5")

REPO = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "onet27_titles"
DEFAULT_OUT = REPO / "examples" / "onet"


def sha(*parts):
    return hashlib.sha256("\t".join(parts).encode("utf-8")).hexdigest()


def read_tsv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def normalise(text):
    return " ".join(text.casefold().split())


def major_of(code):
    return code[:2] + "-0000"


def minor_of(code):
    return code[:4] + "000"


def broad_of(code):
    return code[:6] + "0"


def build(source):
    titles = read_tsv(source / "onet27_titles.tsv")
    occupations = {r["onetsoc_code"]: r["title"] for r in read_tsv(source / "onet27_occupations.tsv")}

    # 1. Distinct titles per detailed code, first occurrence kept.
    by_code = defaultdict(dict)  # soc2018 -> normalised title -> row
    for row in titles:
        text = " ".join(row["text"].split())
        if not text:
            continue
        by_code[row["soc2018"]].setdefault(normalise(text), {
            "title": text, "soc2018": row["soc2018"], "onetsoc_code": row["onetsoc_code"]})

    # 2. Eligible codes, grouped by broad occupation.
    broad_groups = defaultdict(list)
    for code, rows in by_code.items():
        if code.startswith(IRREGULAR_MINOR_PREFIXES):
            continue
        if not MIN_TITLES <= len(rows) <= MAX_TITLES:
            continue
        if code + ".00" not in occupations:
            continue
        broad_groups[broad_of(code)].append(code)

    # 3. Whole broad occupations per major group.
    selected = []
    for major in sorted({major_of(c) for c in by_code}):
        taken = []
        for broad in sorted((b for b in broad_groups if major_of(b) == major), key=sha):
            if len(taken) >= MIN_PER_MAJOR:
                break
            if len(taken) + len(broad_groups[broad]) <= MAX_PER_MAJOR:
                taken += sorted(broad_groups[broad])
        selected += taken
    selected.sort()

    # 4. Stratified split.
    train, test = [], []
    for code in selected:
        rows = sorted(by_code[code].items(), key=lambda kv: sha("split", code, kv[0]))
        n_test = max(1, round(TEST_SHARE * len(rows)))
        test += [(key, row) for key, row in rows[:n_test]]
        train += [(key, row) for key, row in rows[n_test:]]

    # 5. Ids in hash order.
    everything = sorted(train + test, key=lambda kv: sha("id", kv[1]["soc2018"], kv[0]))
    for i, (_, row) in enumerate(everything):
        row["id"] = str(i + 1)
    train = sorted((row for _, row in train), key=lambda r: int(r["id"]))
    test = sorted((row for _, row in test), key=lambda r: int(r["id"]))

    # 6. Unlabelled rows to code.
    new = test[:NEW_ROWS]

    # 7. Code list.
    codelist = {}
    for code in selected:
        codelist[major_of(code)] = (major_of(code), "", "major", "")
        codelist[minor_of(code)] = (minor_of(code), major_of(code), "minor", "")
        codelist[broad_of(code)] = (broad_of(code), minor_of(code), "broad", "")
        codelist[code] = (code, broad_of(code), "detailed", occupations[code + ".00"])

    labelled = ["id", "title", "soc2018", "onetsoc_code"]
    return {
        "train.tsv": tsv(labelled, ([r[c] for c in labelled] for r in train)),
        "test.tsv": tsv(labelled, ([r[c] for c in labelled] for r in test)),
        "new.tsv": tsv(["id", "title"], ([r["id"], r["title"]] for r in new)),
        "soc2018_codelist.tsv": tsv(["code", "parent", "level", "title"],
                                    (codelist[c] for c in sorted(codelist))),
    }, {"codes": len(selected), "train": len(train), "test": len(test), "new": len(new),
        "codelist": len(codelist), "majors": len({major_of(c) for c in selected})}


def tsv(header, rows):
    lines = ["\t".join(header)]
    for row in rows:
        for field in row:
            if "\t" in field or "\n" in field or "\r" in field:
                raise ValueError(f"field {field!r} contains a tab or newline")
        lines.append("\t".join(row))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=pathlib.Path, default=DEFAULT_SOURCE,
                        help="folder with onet27_titles.tsv and onet27_occupations.tsv")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true",
                        help="compare with the files in --out instead of writing them")
    args = parser.parse_args()

    for name in ("onet27_titles.tsv", "onet27_occupations.tsv"):
        if not (args.source / name).is_file():
            sys.exit(f"make_example_data: {args.source / name} not found; pass --source DIR")

    files, counts = build(args.source)
    if args.check:
        stale = [n for n, text in files.items()
                 if not (args.out / n).is_file() or (args.out / n).read_text(encoding="utf-8") != text]
        if stale:
            sys.exit(f"make_example_data: out of date in {args.out}: {', '.join(stale)}; "
                     "run scripts/make_example_data.py")
        print(f"make_example_data: {args.out} is up to date")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8", newline="")
    print("make_example_data: {codes} SOC 2018 detailed codes in {majors} major groups; "
          "train {train}, test {test}, new {new} rows; code list {codelist} codes".format(**counts))


if __name__ == "__main__":
    main()
