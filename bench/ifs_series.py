#!/usr/bin/python3
"""Reported series for the IMF time-series benchmark, from the IFS indicator code list.

The IFS code list (../shared/data/imf_ifs_indicators, 1,681 indicator codes, one English
descriptor each) says what an IMF key means but not how member countries word it. This script
makes the reported series a benchmark needs, by rules written here and a seed, so that anyone can
regenerate exactly the same files:

Dimensions. An IFS indicator code is a composition; it is split from the right into
  UNIT        the last segment when it is a unit code (XDC domestic currency, USD, EUR, XDR, PA
              percent per annum, PT percent, IX index, RATE, NUM, PU), else "_Z";
  ADJUSTMENT  then SA or NSA when present, else "_Z";
  BASIS       then G01_CA, G01 (GFS 2001), BP6 (BPM6) or R (real, constant prices) when
              present, else "_Z";
  CONCEPT     what is left (it may hold underscores).
Joining the parts that are not "_Z" with "_" gives the code back: the split is exact for every
code (checked below). A key (CONCEPT, BASIS, ADJUSTMENT, UNIT) is valid when its code is in the
list: the 1,681 valid keys are what an SDMX content constraint allows.

Descriptor variants (how a reporter might word the IFS descriptor). The descriptor is split into
its comma-separated parts; the part naming the unit goes to its own column `unit_text` (reporters
give unit and scale apart) unless a rule keeps it in; then, each with its probability:
  unit not stated    the unit column is then left empty (0.2: only the values tell it);
  adjustment unstated  "Seasonally Adjusted" / "Unadjusted" is dropped (0.2);
  drop the topic     the first part, when it is a topic of TOPICS (Monetary, Fiscal, ...), is
                     dropped (0.5);
  synonyms           each phrase of SYNONYMS is replaced by one of its variants (0.6 each);
  order              two middle parts swap places (0.3);
  separator          ", " becomes one of " - ", "; ", " / " (0.3);
  case               the descriptor is lower-cased (0.2) or upper-cased (0.1);
  typo               one letter of one word of 5+ letters is dropped or doubled (0.25).
Each reporter (a country code) has its own fixed preference among the variants of each phrase,
so a country words the same series the same way every time.

Values (column `values`, observations separated by ';'): 36 monthly, 12 quarterly or 6 annual
observations. The unit sets the scale (domestic currency 1e6-1e12, US dollars and euros 1e3-1e10,
percent per annum 0.5-15, percent -5-25, index 80-130, exchange rate 0.1-1000), levels grow by a
random rate with 1 % noise, rates walk randomly; a series not seasonally adjusted (NSA, and half
of those without an adjustment) repeats a seasonal pattern (8 % of the level, or 1.5 points);
series of net balances and changes (descriptor words in SIGNED_WORDS) change sign.

Split. 20 % of the codes are withheld entirely (their records only in test_withheld.tsv): a flat
classifier can never output them; dimension coding can when each part was seen in other codes.
Of each other code, TRAIN_VARIANTS variants train and TEST_VARIANTS others test
(test_seen.tsv). Usage:
  bench/ifs_series.py --data ../shared/data/imf_ifs_indicators/ifs_indicators.tsv --out DIR \
      [--seed 17] [--withhold 0.2] [--codes N]
Writes DIR/{train,test_seen,test_withheld,valid_keys}.tsv, DIR/structure.xml (an SDMX-ML 2.1
structure message: one code list per dimension, a DSD with FREQ, REF_AREA and the four
dimensions, and an Allowed content constraint listing the valid keys) and DIR/structure.json
(the same as an SDMX-JSON 1.0 structure message).
"""
import argparse
import csv
import json
import os
import random
import sys
from xml.sax.saxutils import escape, quoteattr

UNITS = ["XDC", "USD", "EUR", "XDR", "PA", "PT", "IX", "RATE", "NUM", "PU"]
ADJUSTMENTS = ["SA", "NSA"]
BASES = ["G01_CA", "G01", "BP6", "R"]
DIMENSIONS = ["CONCEPT", "BASIS", "ADJUSTMENT", "UNIT"]
TRAIN_VARIANTS = 4
TEST_VARIANTS = 2
REPORTERS = ["AR", "BR", "CL", "DE", "ES", "FR", "GB", "IN", "IT", "JP", "KE", "MX", "NG", "PL",
             "US", "ZA"]
FREQUENCIES = ["M", "Q", "A"]

# Phrases of IFS descriptors and other ways of writing them.
SYNONYMS = {
    "Domestic Currency": ["National Currency", "local currency", "LCU", "NC", "in national currency"],
    "US Dollars": ["USD", "U.S. dollars", "dollars (US)", "US$"],
    "U.S. Dollar": ["USD", "US dollar", "U.S. dollar"],
    "Euros": ["EUR", "euro", "in euros"],
    "Seasonally Adjusted": ["SA", "s.a.", "seasonally adjusted series", "adj. for seasonality"],
    "Unadjusted": ["NSA", "n.s.a.", "not seasonally adjusted", "raw"],
    "Real": ["constant prices", "in real terms", "volume", "real terms"],
    "Nominal": ["current prices", "nominal terms", "at current prices"],
    "Index": ["index", "idx", "index (2010=100)", "index points"],
    "Percent per Annum": ["% p.a.", "percent per year", "per cent per annum", "% per annum"],
    "Percent per annum": ["% p.a.", "percent per year", "per cent per annum"],
    "Percent": ["%", "per cent", "pct"],
    "Rate": ["rate", "ratio"],
    "Period Average": ["average of period", "avg.", "period avg"],
    "End of Period": ["end-period", "eop", "end of the period"],
    "End of period": ["end-period", "eop"],
    "Government": ["Govt", "Gov."],
    "Central Bank": ["CB", "central bank", "monetary authority"],
    "Balance of Payments": ["BoP", "BOP", "external accounts"],
    "International Investment Positions": ["IIP", "international investment position"],
    "Financial": ["Fin.", "financial"],
    "Monetary": ["Money", "monetary"],
    "Interest Rates": ["interest rate", "rates of interest", "IR"],
    "Exchange Rates": ["exchange rate", "FX rates", "XR"],
    "Gross Domestic Product": ["GDP", "gross domestic product"],
    "Consumer Prices": ["CPI", "consumer price index"],
    "Producer Prices": ["PPI", "producer price index"],
    "Liabilities": ["liabs.", "liabilities"],
    "Assets": ["assets", "asset side"],
    "Deposits": ["deposits", "dep."],
    "Securities": ["securities", "sec."],
    "Total": ["total", "all"],
    "Credit": ["Cr.", "credit"],
    "Debit": ["Dr.", "debit"],
    "and": ["&", "+"],
    "Corporations": ["corps", "corporations"],
    "Households": ["HH", "households"],
    "Manual": ["manual", "methodology"],
    "Transactions": ["flows", "transactions"],
    "Non-Standardized Presentation": ["non-standard presentation", "NSRF"],
}
# Descriptor topics (the first part of a descriptor that names the statistics, not the series).
TOPICS = {"Monetary", "Fiscal", "Financial", "Balance of Payments", "Exchange Rates",
          "Other Depository Corporations Survey", "External Trade", "Central Bank Survey",
          "International Investment Positions", "Fund Accounts", "Financial Market Prices",
          "Economic Activity", "International Liquidity", "Depository Corporations Survey",
          "International Reserves", "Prices"}
UNIT_PHRASES = ["Domestic Currency", "US Dollars", "Euros", "SDRs", "Index", "Percent per Annum",
                "Percent per annum", "Percent", "Rate", "Number", "Units", "National Currency"]


def decompose(code):
    """(CONCEPT, BASIS, ADJUSTMENT, UNIT) of an IFS indicator code."""
    parts = code.split("_")
    unit = adjustment = basis = "_Z"
    if len(parts) > 1 and parts[-1] in UNITS:
        unit = parts.pop()
    if len(parts) > 1 and parts[-1] in ADJUSTMENTS:
        adjustment = parts.pop()
    if len(parts) > 2 and "_".join(parts[-2:]) == "G01_CA":
        basis = "G01_CA"
        parts = parts[:-2]
    elif len(parts) > 1 and parts[-1] in BASES:
        basis = parts.pop()
    return ("_".join(parts), basis, adjustment, unit)


def compose(key):
    return "_".join(p for p in [key[0]] + [v for v in key[1:] if v != "_Z"])


def reporter_choice(reporter, phrase, options):
    """A reporter's fixed preference among the variants of a phrase."""
    return options[random.Random(f"{reporter}|{phrase}").randrange(len(options))]


def variant(descriptor, reporter, rng):
    parts = [p.strip() for p in descriptor.split(",") if p.strip()]
    unit_text = ""
    if len(parts) > 1 and any(parts[-1].startswith(u) for u in UNIT_PHRASES) and rng.random() < 0.8:
        unit_text = parts.pop()
    if unit_text and rng.random() < 0.2:
        unit_text = ""  # not stated: only the values tell
    if rng.random() < 0.2:
        parts = [p for p in parts if p not in ("Seasonally Adjusted", "Unadjusted")] or parts
    if len(parts) > 2 and parts[0] in TOPICS and rng.random() < 0.5:
        parts = parts[1:]
    if len(parts) > 3 and rng.random() < 0.3:
        i = rng.randrange(1, len(parts) - 1)
        parts[i], parts[i + 1] = parts[i + 1], parts[i]

    def substitute(text):
        for phrase, options in SYNONYMS.items():
            if phrase in text and rng.random() < 0.6:
                text = text.replace(phrase, reporter_choice(reporter, phrase, options))
        return text

    parts = [substitute(p) for p in parts]
    unit_text = substitute(unit_text)
    separator = rng.choice([" - ", "; ", " / "]) if rng.random() < 0.3 else ", "
    text = separator.join(parts)
    r = rng.random()
    if r < 0.2:
        text = text.lower()
    elif r < 0.3:
        text = text.upper()
    if rng.random() < 0.25:
        words = text.split(" ")
        long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if long_words:
            i = rng.choice(long_words)
            w = words[i]
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1:] if rng.random() < 0.5 else w[:j] + w[j] + w[j:]
            text = " ".join(words)
    return text, unit_text


OBSERVATIONS = {"M": 36, "Q": 12, "A": 6}
SIGNED_WORDS = ("Net", "net", "Balance", "less", "Changes", "Variation", "Change", "Errors")


def series_values(key, descriptor, freq, rng):
    """Observations a series of this key might have: the unit sets the scale, the adjustment
    whether a seasonal pattern repeats, the concept whether it changes sign."""
    unit, adjustment = key[3], key[2]
    n = OBSERVATIONS[freq]
    if unit in ("PA", "PT"):
        level, rate = rng.uniform(0.5, 15.0) if unit == "PA" else rng.uniform(-5.0, 25.0), True
    elif unit == "IX":
        level, rate = rng.uniform(80.0, 130.0), False
    elif unit == "RATE":
        level, rate = 10 ** rng.uniform(-1, 3), False
    elif unit == "XDC":
        level, rate = 10 ** rng.uniform(6, 12), False
    elif unit in ("USD", "EUR", "XDR"):
        level, rate = 10 ** rng.uniform(3, 10), False
    else:
        level, rate = 10 ** rng.uniform(1, 6), False
    signed = any(w in descriptor for w in SIGNED_WORDS) and not rate
    seasonal = freq != "A" and (adjustment == "NSA" or (adjustment == "_Z" and rng.random() < 0.5))
    period = 12 if freq == "M" else 4
    phase = rng.randrange(period)
    growth = rng.gauss(0.004, 0.01)
    x, out = level, []
    for t in range(n):
        if rate:
            x += rng.gauss(0, 0.2)
            v = x + (1.5 * ((t + phase) % period - period / 2) / period if seasonal else 0)
        elif signed:
            v = rng.gauss(0, 1) * level
        else:
            x *= 1 + growth + rng.gauss(0, 0.01)
            v = x * (1 + (0.08 * (((t + phase) % period) / period - 0.5) if seasonal else 0))
        out.append(f"{v:.6g}")
    return ";".join(out)


def write_tsv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE,
                       escapechar="\\")
        w.writerow(header)
        w.writerows(rows)


def structure_xml(keys, codes_by_dimension):
    """An SDMX-ML 2.1 structure message for the decomposed IFS keys."""
    agency = "STATCODER_EXAMPLE"
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<mes:Structure xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"'
           ' xmlns:str="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure"'
           ' xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common">',
           '  <mes:Header><mes:ID>IFS_DIMENSIONS</mes:ID><mes:Test>true</mes:Test>'
           '<mes:Prepared>2026-01-01T00:00:00Z</mes:Prepared><mes:Sender id="STATCODER"/>'
           '</mes:Header>',
           '  <mes:Structures>', '    <str:Codelists>']
    lists = {"FREQ": [("M", "Monthly"), ("Q", "Quarterly"), ("A", "Annual")],
             "REF_AREA": [(r, r) for r in REPORTERS]}
    lists.update({d: [(c, names.get(c, c)) for c, names in
                      [(c, codes_by_dimension[d][1]) for c in codes_by_dimension[d][0]]]
                  for d in DIMENSIONS})
    for dim, codes in lists.items():
        out.append(f'      <str:Codelist agencyID="{agency}" id="CL_{dim}" version="1.0">')
        out.append(f'        <com:Name xml:lang="en">{escape(dim.title())}</com:Name>')
        for code, name in codes:
            out.append(f'        <str:Code id={quoteattr(code)}><com:Name xml:lang="en">'
                       f'{escape(name)}</com:Name></str:Code>')
        out.append('      </str:Codelist>')
    out += ['    </str:Codelists>', '    <str:DataStructures>',
            f'      <str:DataStructure agencyID="{agency}" id="IFS_DIM" version="1.0">',
            '        <com:Name xml:lang="en">IFS indicators by dimension</com:Name>',
            '        <str:DataStructureComponents>',
            '          <str:DimensionList id="DimensionDescriptor">']
    for position, dim in enumerate(["FREQ", "REF_AREA"] + DIMENSIONS, start=1):
        out += [f'            <str:Dimension id="{dim}" position="{position}">',
                '              <str:LocalRepresentation><str:Enumeration>'
                f'<Ref agencyID="{agency}" id="CL_{dim}" version="1.0" class="Codelist"/>'
                '</str:Enumeration></str:LocalRepresentation>',
                '            </str:Dimension>']
    out += ['            <str:TimeDimension id="TIME_PERIOD" position="7"/>',
            '          </str:DimensionList>', '        </str:DataStructureComponents>',
            '      </str:DataStructure>', '    </str:DataStructures>', '    <str:Dataflows>',
            f'      <str:Dataflow agencyID="{agency}" id="IFS" version="1.0">',
            '        <com:Name xml:lang="en">International Financial Statistics</com:Name>',
            f'        <str:Structure><Ref agencyID="{agency}" id="IFS_DIM" version="1.0" '
            'class="DataStructure"/></str:Structure>', '      </str:Dataflow>',
            '    </str:Dataflows>', '    <str:Constraints>',
            f'      <str:ContentConstraint agencyID="{agency}" id="IFS_VALID_KEYS" version="1.0" '
            'type="Allowed">', '        <com:Name xml:lang="en">IFS indicator codes</com:Name>',
            '        <str:ConstraintAttachment><str:Dataflow>'
            f'<Ref agencyID="{agency}" id="IFS" version="1.0" class="Dataflow"/>'
            '</str:Dataflow></str:ConstraintAttachment>',
            '        <str:DataKeySet isIncluded="true">']
    for key in keys:
        out.append('          <str:Key>' + "".join(
            f'<com:KeyValue id="{d}"><com:Value>{escape(v)}</com:Value></com:KeyValue>'
            for d, v in zip(DIMENSIONS, key)) + '</str:Key>')
    out += ['        </str:DataKeySet>', '      </str:ContentConstraint>', '    </str:Constraints>',
            '  </mes:Structures>', '</mes:Structure>', '']
    return "\n".join(out)


def structure_json(keys, codes_by_dimension):
    """The same structure as an SDMX-JSON 1.0 structure message."""
    agency = "STATCODER_EXAMPLE"
    urn = "urn:sdmx:org.sdmx.infomodel."
    lists = {"FREQ": ["M", "Q", "A"], "REF_AREA": REPORTERS}
    lists.update({d: codes_by_dimension[d][0] for d in DIMENSIONS})
    dims = ["FREQ", "REF_AREA"] + DIMENSIONS
    data = {
        "codelists": [{"id": f"CL_{d}", "agencyID": agency, "version": "1.0", "name": d.title(),
                       "codes": [{"id": c, "name": c} for c in codes]}
                      for d, codes in lists.items()],
        "dataStructures": [{
            "id": "IFS_DIM", "agencyID": agency, "version": "1.0",
            "name": "IFS indicators by dimension",
            "dataStructureComponents": {"dimensionList": {
                "id": "DimensionDescriptor",
                "dimensions": [{"id": d, "position": i + 1, "localRepresentation": {
                    "enumeration": f"{urn}codelist.Codelist={agency}:CL_{d}(1.0)"}}
                    for i, d in enumerate(dims)],
                "timeDimensions": [{"id": "TIME_PERIOD", "position": len(dims) + 1}]}}}],
        "dataflows": [{"id": "IFS", "agencyID": agency, "version": "1.0",
                       "name": "International Financial Statistics",
                       "structure": f"{urn}datastructure.DataStructure={agency}:IFS_DIM(1.0)"}],
        "contentConstraints": [{
            "id": "IFS_VALID_KEYS", "agencyID": agency, "version": "1.0", "type": "Allowed",
            "constraintAttachment": {
                "dataflows": [f"{urn}datastructure.Dataflow={agency}:IFS(1.0)"]},
            "dataKeySets": [{"isIncluded": True, "keys": [
                {"keyValues": [{"id": d, "value": v} for d, v in zip(DIMENSIONS, key)]}
                for key in keys]}]}],
    }
    return json.dumps({"meta": {"id": "IFS_DIMENSIONS", "test": True}, "data": data}, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="ifs_indicators.tsv")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--withhold", type=float, default=0.2)
    ap.add_argument("--codes", type=int, default=0,
                    help="keep about N codes, whole concept families of 2+ codes (a small sample)")
    args = ap.parse_args()
    with open(args.data, newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t")]
    rng = random.Random(args.seed)
    if args.codes:
        # Whole concept families (all codes of a concept), so that withheld codes can be composed.
        families = {}
        for r in rows:
            families.setdefault(decompose(r["indicator_code"])[0], []).append(r)
        concepts = sorted(c for c, f in families.items() if len(f) > 1)
        rng.shuffle(concepts)
        rows = []
        for c in concepts:
            if len(rows) >= args.codes:
                break
            rows += families[c]
        rows.sort(key=lambda r: r["indicator_code"])
    for r in rows:
        if compose(decompose(r["indicator_code"])) != r["indicator_code"]:
            sys.exit(f"decomposition is not exact for {r['indicator_code']}")
    codes = [r["indicator_code"] for r in rows]
    withheld = set(rng.sample(codes, round(args.withhold * len(codes))))
    train, seen, held = [], [], []
    header = ["series_id", "reporter", "freq", "descriptor", "unit_text", "values", "indicator"] + \
        DIMENSIONS
    n = 0
    for r in rows:
        code = r["indicator_code"]
        key = decompose(code)
        variants = TEST_VARIANTS if code in withheld else TRAIN_VARIANTS + TEST_VARIANTS
        for v in range(variants):
            reporter = rng.choice(REPORTERS)
            text, unit_text = variant(r["description"], reporter, rng)
            n += 1
            freq = rng.choice(FREQUENCIES)
            values = series_values(key, r["description"], freq, rng)
            row = [f"S{n:06d}", reporter, freq, text, unit_text, values, code, *key]
            if code in withheld:
                held.append(row)
            elif v < TRAIN_VARIANTS:
                train.append(row)
            else:
                seen.append(row)
    os.makedirs(args.out, exist_ok=True)
    write_tsv(os.path.join(args.out, "train.tsv"), header, train)
    write_tsv(os.path.join(args.out, "test_seen.tsv"), header, seen)
    write_tsv(os.path.join(args.out, "test_withheld.tsv"), header, held)
    keys = sorted(decompose(c) for c in codes)
    write_tsv(os.path.join(args.out, "valid_keys.tsv"), DIMENSIONS, keys)
    # Code names are the ids: the descriptors would tell a model what the withheld codes say.
    names = {d: {} for d in DIMENSIONS}
    by_dim = {d: (sorted({k[i] for k in keys}), names[d]) for i, d in enumerate(DIMENSIONS)}
    with open(os.path.join(args.out, "structure.xml"), "w") as f:
        f.write(structure_xml(keys, by_dim))
    with open(os.path.join(args.out, "structure.json"), "w") as f:
        f.write(structure_json(keys, by_dim) + "\n")
    print(f"{len(codes)} codes ({len(withheld)} withheld), {len(train)} train, {len(seen)} "
          f"test_seen, {len(held)} test_withheld records in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
