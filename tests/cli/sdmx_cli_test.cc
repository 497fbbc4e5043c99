// End-to-end tests of SDMX key coding (docs/sdmx.md) on the bundled IFS sample
// (examples/imf_ifs): `train --label CONCEPT,BASIS,ADJUSTMENT,UNIT --structure FILE` (SDMX-ML
// 2.1 and SDMX-JSON) or `--valid-keys FILE`, `evaluate --json` per dimension, and
// `code --format sdmx-csv`, whose every key is one the structure allows.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;

const fs::path kIfs = fs::path(STATCODER_SOURCE_DIR) / "examples" / "imf_ifs";
const std::vector<std::string> kDims = {"CONCEPT", "BASIS", "ADJUSTMENT", "UNIT"};

std::string P(const std::string& name) { return (kIfs / name).string(); }

std::set<std::vector<std::string>> ValidKeys() {
  const Table t = ParseTsv(ReadFile(kIfs / "valid_keys.tsv"));
  std::set<std::vector<std::string>> keys;
  for (size_t i = 1; i < t.size(); ++i) keys.insert(t[i]);
  return keys;
}

class SdmxCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  RunResult Run(const std::vector<std::string>& args) { return RunStatcoder(args, dir_, dir_); }
  RunResult Train(const std::vector<std::string>& keys_flags, const std::string& out) {
    std::vector<std::string> args = {"train", "--data", P("train.tsv"), "--text",
                                     "descriptor,unit_text", "--categorical", "freq", "--id",
                                     "series_id", "--label", "CONCEPT,BASIS,ADJUSTMENT,UNIT",
                                     "--out", out, "--json", "--quiet"};
    args.insert(args.end(), keys_flags.begin(), keys_flags.end());
    return Run(args);
  }
  fs::path dir_;
};

TEST_F(SdmxCliTest, DimensionCodingReachesKeysNeverSeenInTrainingAndNoInvalidOne) {
  const RunResult train = Train({"--structure", P("structure.xml")}, "ifs.stcj");
  ASSERT_EQ(train.exit_code, 0) << train;
  const json t = ParseJson(train.out);
  EXPECT_EQ(t["allowed_tuples_from"], "SDMX structure");
  EXPECT_EQ(t["allowed_tuples"].get<size_t>(), ValidKeys().size());
  EXPECT_GT(t["allowed_tuples_not_in_training"].get<int>(), 0);  // the withheld codes' keys
  EXPECT_GT(t["tuple_threshold"].get<double>(), 0.0);
  EXPECT_EQ(t["tuple_certification"]["method"], "learn_then_test");
  EXPECT_EQ(t["tuple_certification"]["records"], t["records"]);

  for (const std::string test : {"test_seen.tsv", "test_withheld.tsv"}) {
    const RunResult eval =
        Run({"evaluate", "--model", "ifs.stcj", "--data", P(test), "--id", "series_id", "--json"});
    ASSERT_EQ(eval.exit_code, 0) << eval;
    const json e = ParseJson(eval.out);
    for (const auto& d : kDims) ASSERT_TRUE(e["per_label"].contains(d)) << d;
    EXPECT_EQ(e["invalid_key_rate"], 0.0);
    EXPECT_EQ(e["consistency_rate"], 1.0);
    if (test == "test_seen.tsv") {
      EXPECT_GT(e["joint_accuracy"].get<double>(), 0.85);
      // The key's own threshold is certified out of fold; on a sample this small it may
      // certify nothing, and then nothing is auto-coded.
      if (e["auto_rate"].get<double>() > 0) {
        EXPECT_GE(e["auto_precision"].get<double>(), 0.9);
      }
    } else {
      // Withheld codes: a flat classifier gets none; dimension coding composes some, and
      // refers every key no training record carried.
      EXPECT_GT(e["joint_accuracy"].get<double>(), 0.3);
      EXPECT_GT(e["new_key_rate"].get<double>(), 0.3);
      EXPECT_GT(e["new_key_accuracy"].get<double>(), 0.6);
    }
  }

  const RunResult code = Run({"code", "--model", "ifs.stcj", "--data", P("test_withheld.tsv"),
                              "--id", "series_id", "--format", "sdmx-csv", "--sdmx-dimension",
                              "REF_AREA=reporter", "--out", "keys.csv", "--json"});
  ASSERT_EQ(code.exit_code, 0) << code;
  const json c = ParseJson(code.out);
  EXPECT_EQ(c["format"], "sdmx-csv");
  EXPECT_GT(c["new_keys"].get<int>(), 0);
  std::string csv = ReadFile(dir_ / "keys.csv");
  EXPECT_NE(csv.find("\r\n"), std::string::npos);  // RFC 4180 line breaks
  csv.erase(std::remove(csv.begin(), csv.end(), '\r'), csv.end());
  const Table rows = ParseCsv(csv);
  ASSERT_EQ(rows[0], (Row{"STRUCTURE", "STRUCTURE_ID", "ACTION", "FREQ", "REF_AREA", "CONCEPT",
                          "BASIS", "ADJUSTMENT", "UNIT", "STATCODER_ID", "STATCODER_DECISION",
                          "STATCODER_CONFIDENCE"}));
  const Table input = ParseTsv(ReadFile(kIfs / "test_withheld.tsv"));
  ASSERT_EQ(rows.size(), input.size());
  const std::set<std::vector<std::string>> valid = ValidKeys();
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][0], "datastructure");
    EXPECT_EQ(rows[i][1], "STATCODER_EXAMPLE:IFS_DIM(1.0)");
    EXPECT_EQ(rows[i][2], "M");
    EXPECT_EQ(rows[i][3], input[i][ColumnOf(input, "freq")]);      // FREQ, matched by name
    EXPECT_EQ(rows[i][4], input[i][ColumnOf(input, "reporter")]);  // REF_AREA, as mapped
    EXPECT_TRUE(valid.count({rows[i][5], rows[i][6], rows[i][7], rows[i][8]})) << rows[i][5];
    EXPECT_EQ(rows[i][9], input[i][0]);
  }
  // statcoder's own output beside it: per-dimension decisions (partial coding) and new keys.
  const Table own = ParseTsv(ReadFile(dir_ / "keys.csv.statcoder.tsv"));
  EXPECT_EQ(own.size(), input.size());
  const size_t decision = ColumnOf(own, "decision"), new_key = ColumnOf(own, "new_key");
  size_t partial = 0;
  for (size_t i = 1; i < own.size(); ++i) {
    partial += own[i][decision] == "partial";
    if (own[i][new_key] == "yes") {
      EXPECT_NE(own[i][decision], "auto");
    }
  }
  EXPECT_GT(partial, 0u);
}

// A constraint tying a coded dimension to one coding copies from the input (annual series
// only in US dollars or euros) restricts each record by its own frequency: no output key breaks
// it, in TSV or SDMX-CSV, and a record whose frequency allows no key is refused, named.
TEST_F(SdmxCliTest, ConstraintsOnCopiedDimensionsRestrictEachRecordsKey) {
  std::string xml = ReadFile(kIfs / "structure.xml");
  const std::string annual =
      R"(<str:ContentConstraint agencyID="STATCODER_EXAMPLE" id="ANNUAL_UNITS" version="1.0" type="Allowed">
        <str:ConstraintAttachment><str:Dataflow><Ref agencyID="STATCODER_EXAMPLE" id="IFS" version="1.0" class="Dataflow"/></str:Dataflow></str:ConstraintAttachment>
        <str:CubeRegion include="true"><com:KeyValue id="FREQ"><com:Value>M</com:Value><com:Value>Q</com:Value></com:KeyValue></str:CubeRegion>
        <str:CubeRegion include="true"><com:KeyValue id="FREQ"><com:Value>A</com:Value></com:KeyValue><com:KeyValue id="UNIT"><com:Value>USD</com:Value><com:Value>EUR</com:Value></com:KeyValue></str:CubeRegion>
      </str:ContentConstraint>
    </str:Constraints>)";
  const size_t at = xml.find("</str:Constraints>");
  ASSERT_NE(at, std::string::npos);
  xml.replace(at, std::string("</str:Constraints>").size(), annual);
  WriteFile(dir_ / "structure.xml", xml);
  // Training records that break it are not the point here: keep those that do not.
  const Table all = ParseTsv(ReadFile(kIfs / "train.tsv"));
  const size_t freq = ColumnOf(all, "freq"), unit = ColumnOf(all, "UNIT");
  Table train = {all[0]};
  for (size_t i = 1; i < all.size(); ++i) {
    if (all[i][freq] != "A" || all[i][unit] == "USD" || all[i][unit] == "EUR") train.push_back(all[i]);
  }
  WriteFile(dir_ / "train.tsv", ToTsv(train));
  const RunResult trained =
      Run({"train", "--data", "train.tsv", "--text", "descriptor,unit_text", "--categorical",
           "freq", "--id", "series_id", "--label", "CONCEPT,BASIS,ADJUSTMENT,UNIT", "--structure",
           "structure.xml", "--out", "ifs.stcj", "--json", "--quiet"});
  ASSERT_EQ(trained.exit_code, 0) << trained;
  EXPECT_EQ(ParseJson(trained.out)["context_dimensions"], json::array({"FREQ"}));

  // The seen test records, with one annual series whose frequency is not a code at all.
  Table test = ParseTsv(ReadFile(kIfs / "test_seen.tsv"));
  const size_t tfreq = ColumnOf(test, "freq"), tunit = ColumnOf(test, "UNIT");
  size_t annual_xdc = 0;
  for (size_t i = 1; i < test.size(); ++i) annual_xdc += test[i][tfreq] == "A" && test[i][tunit] == "XDC";
  ASSERT_GT(annual_xdc, 5u);  // what the unconstrained model would code XDC
  test[1][tfreq] = "B";
  WriteFile(dir_ / "test.tsv", ToTsv(test));

  const RunResult code = Run({"code", "--model", "ifs.stcj", "--data", "test.tsv", "--id",
                              "series_id", "--keep", "freq", "--max-reject-share", "0.05", "--out",
                              "coded.tsv", "--json"});
  ASSERT_EQ(code.exit_code, 0) << code;
  EXPECT_EQ(ParseJson(code.out)["rejected"], 1);
  EXPECT_NE(ReadFile(dir_ / "coded.tsv.rejects.tsv").find("FREQ 'B'"), std::string::npos)
      << ReadFile(dir_ / "coded.tsv.rejects.tsv");
  const Table coded = ParseTsv(ReadFile(dir_ / "coded.tsv"));
  ASSERT_EQ(coded.size(), test.size() - 1);
  const size_t cfreq = ColumnOf(coded, "freq"), cunit = ColumnOf(coded, "UNIT_code");
  size_t annual_rows = 0;
  for (size_t i = 1; i < coded.size(); ++i) {
    if (coded[i][cfreq] != "A") continue;
    ++annual_rows;
    EXPECT_TRUE(coded[i][cunit] == "USD" || coded[i][cunit] == "EUR") << coded[i][cunit];
  }
  EXPECT_GT(annual_rows, 20u);

  test[1][tfreq] = "A";
  WriteFile(dir_ / "test.tsv", ToTsv(test));
  const RunResult keys = Run({"code", "--model", "ifs.stcj", "--data", "test.tsv", "--id",
                              "series_id", "--format", "sdmx-csv", "--sdmx-dimension",
                              "REF_AREA=reporter", "--out", "keys.csv", "--quiet"});
  ASSERT_EQ(keys.exit_code, 0) << keys;
  std::string csv = ReadFile(dir_ / "keys.csv");
  csv.erase(std::remove(csv.begin(), csv.end(), '\r'), csv.end());
  const Table rows = ParseCsv(csv);
  ASSERT_EQ(rows.size(), test.size());
  const std::set<std::vector<std::string>> valid = ValidKeys();
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_TRUE(valid.count({rows[i][5], rows[i][6], rows[i][7], rows[i][8]}));
    if (rows[i][3] == "A") {
      EXPECT_TRUE(rows[i][8] == "USD" || rows[i][8] == "EUR") << rows[i][8];
    }
  }
  // evaluate counts a key its record's frequency forbids as invalid: none here.
  const RunResult eval = Run({"evaluate", "--model", "ifs.stcj", "--data", "test.tsv", "--id",
                              "series_id", "--sdmx-dimension", "FREQ=freq", "--json"});
  ASSERT_EQ(eval.exit_code, 0) << eval;
  const json e = ParseJson(eval.out);
  EXPECT_EQ(e["invalid_key_rate"], 0.0);
  EXPECT_EQ(e["rejected"], 0);
}

TEST_F(SdmxCliTest, JsonStructuresAndKeyTablesGiveTheSameAllowedKeys) {
  const RunResult xml = Train({"--structure", P("structure.xml")}, "x.stcj");
  const RunResult js = Train({"--structure", P("structure.json"), "--structure-id",
                              "STATCODER_EXAMPLE:IFS"}, "j.stcj");
  const RunResult table = Train({"--valid-keys", P("valid_keys.tsv"), "--structure-id",
                                 "STATCODER_EXAMPLE:IFS(1.0)"}, "t.stcj");
  for (const RunResult* r : {&xml, &js, &table}) ASSERT_EQ(r->exit_code, 0) << *r;
  EXPECT_EQ(ParseJson(xml.out)["allowed_tuples"], ParseJson(js.out)["allowed_tuples"]);
  // Without the structure's code lists the members know only the codes of the training
  // records: the keys with another code are left out, and counted.
  const json t = ParseJson(table.out);
  EXPECT_EQ(t["allowed_tuples_from"], "key table");
  EXPECT_EQ(t["allowed_tuples"].get<int>() + t["table_tuples_without_trained_codes"].get<int>(),
            ParseJson(xml.out)["allowed_tuples"].get<int>());
  EXPECT_GT(t["allowed_tuples_not_in_training"].get<int>(), 0);
  // The same predictions from the structure in either format.
  std::vector<std::string> outputs;
  for (const std::string m : {"x.stcj", "j.stcj"}) {
    ASSERT_EQ(Run({"code", "--model", m, "--data", P("test_seen.tsv"), "--id", "series_id",
                   "--out", m + ".tsv", "--quiet"})
                  .exit_code,
              0);
    outputs.push_back(ReadFile(dir_ / (m + ".tsv")));
  }
  EXPECT_EQ(outputs[0], outputs[1]);
  // With a dataflow named, SDMX-CSV says so; a table's model writes the id it was given.
  ASSERT_EQ(Run({"code", "--model", "j.stcj", "--data", P("test_seen.tsv"), "--id", "series_id",
                 "--out-format", "sdmx-csv", "--out", "j.csv", "--quiet"})
                .exit_code,
            0);
  EXPECT_NE(ReadFile(dir_ / "j.csv").find("\r\ndataflow,STATCODER_EXAMPLE:IFS(1.0),M,"),
            std::string::npos);
  ASSERT_EQ(Run({"code", "--model", "t.stcj", "--data", P("test_seen.tsv"), "--id", "series_id",
                 "--format", "sdmx-csv", "--out", "t.csv", "--quiet"})
                .exit_code,
            0);
  const std::string t_csv = ReadFile(dir_ / "t.csv");
  // To standard output: the same SDMX-CSV, alone.
  const RunResult to_stdout = Run({"code", "--model", "t.stcj", "--data", P("test_seen.tsv"),
                                   "--id", "series_id", "--format", "sdmx-csv", "--quiet"});
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout;
  EXPECT_EQ(to_stdout.out, t_csv);
  EXPECT_EQ(t_csv.substr(0, t_csv.find('\r')),
            "STRUCTURE,STRUCTURE_ID,ACTION,CONCEPT,BASIS,ADJUSTMENT,UNIT,STATCODER_ID,"
            "STATCODER_DECISION,STATCODER_CONFIDENCE");
  EXPECT_NE(t_csv.find("\r\ndataflow,STATCODER_EXAMPLE:IFS(1.0),M,"), std::string::npos);
}

TEST_F(SdmxCliTest, BadStructuresTablesAndValuesGetClearErrors) {
  // A label that is not a dimension of the structure.
  RunResult r = Run({"train", "--data", P("train.tsv"), "--text", "descriptor", "--label",
                     "CONCEPT,indicator", "--structure", P("structure.xml"), "--out", "m.stcj"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("'indicator' is not a dimension of STATCODER_EXAMPLE:IFS_DIM(1.0)"),
            std::string::npos)
      << r;
  // A damaged structure names the element.
  std::string xml = ReadFile(kIfs / "structure.xml");
  xml.replace(xml.find("<com:Value>XDC</com:Value>"), 26, "<com:Value>XDZ</com:Value>");
  WriteFile(dir_ / "bad.xml", xml);
  r = Train({"--structure", "bad.xml"}, "m.stcj");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("value 'XDZ' is not a code of STATCODER_EXAMPLE:CL_UNIT(1.0)"),
            std::string::npos)
      << r;
  WriteFile(dir_ / "trunc.xml", xml.substr(0, xml.size() / 2));
  r = Train({"--structure", "trunc.xml"}, "m.stcj");
  EXPECT_NE(r.err.find("not well-formed XML"), std::string::npos) << r;
  // A key table with an empty cell: file, line, column.
  WriteFile(dir_ / "keys.tsv", "CONCEPT\tBASIS\tADJUSTMENT\tUNIT\nX\t_Z\t\tXDC\n");
  r = Train({"--valid-keys", "keys.tsv"}, "m.stcj");
  EXPECT_NE(r.err.find("keys.tsv:2: column 'ADJUSTMENT' is empty"), std::string::npos) << r;
  // Labels outside the structure's code lists are rejected records, not silently kept.
  Table train = ParseTsv(ReadFile(kIfs / "train.tsv"));
  train[1][ColumnOf(train, "UNIT")] = "PARSECS";
  WriteFile(dir_ / "train.tsv", ToTsv(train));
  r = Run({"train", "--data", "train.tsv", "--text", "descriptor", "--id", "series_id", "--label",
           "CONCEPT,BASIS,ADJUSTMENT,UNIT", "--structure", P("structure.xml"), "--out", "m.stcj"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("'PARSECS'"), std::string::npos) << r;
  // Allowed keys from two places at once, or for one label, are usage errors.
  EXPECT_EQ(Train({"--structure", P("structure.xml"), "--valid-keys", P("valid_keys.tsv")},
                  "m.stcj")
                .exit_code,
            2);
  EXPECT_EQ(Run({"train", "--data", P("train.tsv"), "--text", "descriptor", "--label", "UNIT",
                 "--structure", P("structure.xml"), "--out", "m.stc"})
                .exit_code,
            2);
  // SDMX-CSV needs a joint model; a copied dimension's value must be one of its codes.
  ASSERT_EQ(Train({"--structure", P("structure.xml")}, "ifs.stcj").exit_code, 0);
  Table test = ParseTsv(ReadFile(kIfs / "test_seen.tsv"));
  test[2][ColumnOf(test, "freq")] = "W";
  WriteFile(dir_ / "test.tsv", ToTsv(test));
  r = Run({"code", "--model", "ifs.stcj", "--data", "test.tsv", "--id", "series_id", "--format",
           "sdmx-csv", "--out", "k.csv"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("column 'freq' value 'W' is not a code of dimension FREQ"),
            std::string::npos)
      << r;
  r = Run({"code", "--model", "ifs.stcj", "--data", "test.tsv", "--id", "series_id",
           "--format", "sdmx-csv", "--sdmx-dimension", "REF_AREA", "--out", "k.csv"});
  EXPECT_EQ(r.exit_code, 2) << r;
}

}  // namespace
}  // namespace statcoder::cli

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;

// Features of the series' values, and plausibility rules on them: an index series reported
// with domestic-currency magnitudes is not coded as an index without a person's look.
TEST_F(SdmxCliTest, ValuesFeedTheModelAndImplausibleCodesAreReferredWithTheirReason) {
  const RunResult train =
      Train({"--structure", P("structure.xml"), "--series-values", "values", "--plausibility",
             P("plausibility.tsv")},
            "v.stcj");
  ASSERT_EQ(train.exit_code, 0) << train;
  EXPECT_EQ(ParseJson(train.out)["plausibility_rules"], 10);
  Table test = ParseTsv(ReadFile(kIfs / "test_seen.tsv"));
  const size_t unit = ColumnOf(test, "UNIT"), values = ColumnOf(test, "values");
  size_t index_row = 0;
  for (size_t i = 1; i < test.size() && index_row == 0; ++i) {
    if (test[i][unit] == "IX") index_row = i;
  }
  ASSERT_GT(index_row, 0u);
  test[index_row][values] = "5e9;5.1e9;5.3e9;5.2e9;5.6e9;5.8e9";  // not an index
  WriteFile(dir_ / "test.tsv", ToTsv(test));
  const RunResult code = Run({"code", "--model", "v.stcj", "--data", "test.tsv", "--id",
                              "series_id", "--out", "coded.tsv", "--json"});
  ASSERT_EQ(code.exit_code, 0) << code;
  EXPECT_GE(ParseJson(code.out)["implausible_records"].get<int>(), 1);
  const Table coded = ParseTsv(ReadFile(dir_ / "coded.tsv"));
  const size_t why = ColumnOf(coded, "plausibility"), decision = ColumnOf(coded, "decision"),
               unit_code = ColumnOf(coded, "UNIT_code");
  ASSERT_EQ(coded[index_row][0], test[index_row][0]);
  // Whatever the members make of it, an index, a percent or a rate per annum is not auto-coded
  // for it, and the reason is given.
  const std::string& decided_unit = coded[index_row][unit_code];
  if (decided_unit == "IX" || decided_unit == "PA" || decided_unit == "PT") {
    EXPECT_NE(coded[index_row][decision], "auto");
    EXPECT_NE(coded[index_row][why].find("UNIT=" + decided_unit + ": values:"), std::string::npos)
        << coded[index_row][why];
  }
  EXPECT_NE(coded[index_row][why].find("above"), std::string::npos) << coded[index_row][why];
  const RunResult eval = Run({"evaluate", "--model", "v.stcj", "--data", P("test_seen.tsv"),
                              "--id", "series_id", "--json"});
  ASSERT_EQ(eval.exit_code, 0) << eval;
  EXPECT_TRUE(ParseJson(eval.out).contains("implausible_decided"));
  // A series cell that is not numbers is a rejected record naming the column.
  test[1][values] = "12;abc";
  WriteFile(dir_ / "bad.tsv", ToTsv(test));
  const RunResult bad = Run({"code", "--model", "v.stcj", "--data", "bad.tsv", "--id",
                             "series_id", "--out", "b.tsv"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("observation 'abc' is not a finite number"), std::string::npos) << bad;
  // Rules must name a coded dimension and a series feature.
  WriteFile(dir_ / "rules.tsv", "dimension\tcode\tfeature\tmin\tmax\twhy\nFREQ\tM\tvalues:max\t\t1\tx\n");
  RunResult r = Train({"--structure", P("structure.xml"), "--plausibility", "rules.tsv"}, "m.stcj");
  EXPECT_NE(r.err.find("rules.tsv:2: column 'dimension': 'FREQ' is not a classification the "
                       "model codes"),
            std::string::npos)
      << r;
  WriteFile(dir_ / "rules.tsv", "dimension\tcode\tfeature\tmin\tmax\twhy\nUNIT\tPT\tvalues:mode\t\t1\tx\n");
  r = Train({"--structure", P("structure.xml"), "--plausibility", "rules.tsv"}, "m.stcj");
  EXPECT_NE(r.err.find("'mode' is not a series feature"), std::string::npos) << r;
}

}  // namespace
}  // namespace statcoder::cli

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;

// A reporter's recurring submission is coded by the codes a person confirmed for it before.
TEST_F(SdmxCliTest, TheReporterMemoryCodesRecurringSeriesFirst) {
  ASSERT_EQ(Train({"--structure", P("structure.xml")}, "ifs.stcj").exit_code, 0);
  const Table test = ParseTsv(ReadFile(kIfs / "test_withheld.tsv"));
  // Last month's reviewed series of the first 20 records, worded as they are now except for
  // case and spacing (the key is normalised), confirmed with their true codes.
  Table memory(test.begin(), test.begin() + 21);
  const size_t descriptor = ColumnOf(memory, "descriptor");
  for (size_t i = 1; i < memory.size(); ++i) memory[i][descriptor] = "  " + memory[i][descriptor];
  memory[1][descriptor][3] = static_cast<char>(std::toupper(memory[1][descriptor][3]));
  WriteFile(dir_ / "memory.tsv", ToTsv(memory));
  const RunResult eval = Run({"evaluate", "--model", "ifs.stcj", "--data", P("test_withheld.tsv"),
                              "--id", "series_id", "--memory", "memory.tsv", "--reporter",
                              "reporter", "--json"});
  ASSERT_EQ(eval.exit_code, 0) << eval;
  const json e = ParseJson(eval.out);
  EXPECT_NEAR(e["memory_rate"].get<double>(), 20.0 / 48.0, 1e-9);
  EXPECT_EQ(e["memory_precision"], 1.0);
  const RunResult code = Run({"code", "--model", "ifs.stcj", "--data", P("test_withheld.tsv"),
                              "--id", "series_id", "--memory", "memory.tsv", "--reporter",
                              "reporter", "--out", "coded.tsv", "--json"});
  ASSERT_EQ(code.exit_code, 0) << code;
  EXPECT_EQ(ParseJson(code.out)["memory"], 20);
  const Table coded = ParseTsv(ReadFile(dir_ / "coded.tsv"));
  const size_t decision = ColumnOf(coded, "decision");
  for (size_t i = 1; i < coded.size(); ++i) {
    EXPECT_EQ(coded[i][decision] == "memory", i <= 20) << i;
    if (i <= 20) {
      EXPECT_EQ(coded[i][ColumnOf(coded, "UNIT_code")], test[i][ColumnOf(test, "UNIT")]);
    }
  }
  // Another reporter's same descriptor is not theirs.
  Table other = memory;
  for (size_t i = 1; i < other.size(); ++i) other[i][ColumnOf(other, "reporter")] = "ZZ";
  WriteFile(dir_ / "other.tsv", ToTsv(other));
  const RunResult none = Run({"evaluate", "--model", "ifs.stcj", "--data", P("test_withheld.tsv"),
                              "--id", "series_id", "--memory", "other.tsv", "--reporter",
                              "reporter", "--json"});
  ASSERT_EQ(none.exit_code, 0) << none;
  EXPECT_EQ(ParseJson(none.out)["memory_rate"], 0.0);
  // A confirmed key the structure does not allow, or no --reporter, is refused.
  memory[2][ColumnOf(memory, "UNIT")] = memory[2][ColumnOf(memory, "UNIT")] == "XDC" ? "USD" : "XDC";
  memory[2][ColumnOf(memory, "CONCEPT")] = "NFIAXD";
  WriteFile(dir_ / "bad.tsv", ToTsv(memory));
  RunResult r = Run({"code", "--model", "ifs.stcj", "--data", P("test_withheld.tsv"), "--id",
                     "series_id", "--memory", "bad.tsv", "--reporter", "reporter", "--out",
                     "c.tsv"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bad.tsv:3"), std::string::npos) << r;
  r = Run({"code", "--model", "ifs.stcj", "--data", P("test_withheld.tsv"), "--memory",
           "memory.tsv", "--out", "c.tsv"});
  EXPECT_EQ(r.exit_code, 2) << r;
}

}  // namespace
}  // namespace statcoder::cli
