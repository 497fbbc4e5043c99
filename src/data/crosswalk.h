// Crosswalk: a correspondence table between two versions or two classifications (SOC 2010 →
// SOC 2020, SOC 2020 → ISCO-08, NACE Rev. 2 → 2.1): pairs of (from code, to code) with an
// optional weight. Tables published by offices are many-to-many: one old code splits into
// several new ones, several old codes merge into one. The weight, when there is one, says how
// often a record of the old code belongs to each new one (derived tables carry record counts);
// without one every allowed target is equally likely a priori.
//
//   CrosswalkOptions options;   // from = first column, to = the next, "weight" if present
//   ASSIGN_OR_RETURN(Crosswalk x, Crosswalk::Load("soc2010_soc2020.tsv", options, &soc2010,
//                                                 &soc2020));
//   for (const CrosswalkTarget& t : x.TargetsOf("2429")) use(t.code, t.share);
//
// File shape: a TSV/CSV/JSONL file read through RecordReader. The header names the two
// classifications ("soc2010<TAB>soc2020<TAB>weight"); a file whose first line is already a pair
// of codes (the to side a code of the to code list) is read as a table without header, its
// columns named "from" and "to". Every pair appears once; codes are used exactly as written;
// a weight must be a finite number > 0. When code lists are given, every code must be in its
// list. Any bad line is an error naming the file, the line and the column: a correspondence
// table must load completely or not at all (a silently missing pair would relabel records).
//
// Thread-safety: immutable after construction; all const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "data/code_list.h"
#include "data/dataset.h"
#include "data/record_reader.h"

namespace statcoder::data {

struct CrosswalkOptions {
  std::string from_column;              // empty: the first column
  std::string to_column;                // empty: the first other column that is not the weight
  std::string weight_column = "weight";  // a missing column: every pair has weight 1
  ReaderOptions reader;
};

struct CrosswalkPair {
  std::string from, to;
  double weight = 1.0;
  uint64_t line = 0;  // source line (0 when not from a file)
};

// One allowed target of a from code: its code and its share of the from code's weight (the
// shares of one from code sum to 1).
struct CrosswalkTarget {
  std::string code;
  double share = 1.0;
};

class Crosswalk {
 public:
  Crosswalk() = default;

  // Errors: kNotFound (file, named column), kInvalidInput (bad line, duplicate pair, bad
  // weight, a code not in its code list, no pairs), kLimitExceeded, kIoError.
  static core::Result<Crosswalk> Load(const std::string& path, const CrosswalkOptions& options,
                                      const CodeList* from_codes, const CodeList* to_codes);

  // Builds from pairs in memory (a model file, a derived table, tests), with the same checks
  // as Load (no code lists). `source` names it in messages.
  static core::Result<Crosswalk> FromPairs(std::string from_name, std::string to_name,
                                           std::vector<CrosswalkPair> pairs,
                                           std::string source = "");

  const std::string& from_name() const { return from_name_; }
  const std::string& to_name() const { return to_name_; }
  const std::string& source() const { return source_; }
  const std::vector<CrosswalkPair>& pairs() const { return pairs_; }
  // Whether any pair carries a weight other than 1 (a weight column was read).
  bool weighted() const { return weighted_; }

  // The targets of `from` in table order; empty when the code is not in the table.
  std::span<const CrosswalkTarget> TargetsOf(std::string_view from) const;
  // Number of distinct from codes.
  size_t from_size() const { return targets_.size(); }

  // SHA-256 of the pairs and names in order (each string length-prefixed): identifies the
  // table a model was trained through, whatever its file's format or path.
  std::string Fingerprint() const { return fingerprint_; }

  // What the table covers: pairs, from codes (one-to-one, split), to codes (merged), and,
  // for each code list given, the share of its codes at the depth the table uses that the
  // table reaches ("coverage"), with up to 10 codes it misses.
  nlohmann::json Summary(const CodeList* from_codes, const CodeList* to_codes) const;

  // Writes the table as TSV (header: from name, to name, weight), atomically.
  core::Status Write(const std::string& path) const;

 private:
  core::Status Index();

  std::string from_name_, to_name_, source_;
  std::vector<CrosswalkPair> pairs_;
  bool weighted_ = false;
  std::unordered_map<std::string, std::vector<CrosswalkTarget>> targets_;
  std::string fingerprint_;
};

// A table derived from dual-coded records: the pairs seen, each weighted by its record count,
// in order of from code then descending count (then to code). Rows where either side is
// empty are not dual-coded: they are counted in `not_dual_coded`, not used. Rows the reader
// rejects, and rows with a code not in its code list (when one is given), are kept in
// `rejections` with their reasons.
struct DerivedCrosswalk {
  Crosswalk crosswalk;
  uint64_t rows = 0;            // data rows read
  uint64_t used = 0;            // dual-coded rows counted into pairs
  uint64_t not_dual_coded = 0;  // rows with an empty code on either side
  std::vector<Rejection> rejections;
};
core::Result<DerivedCrosswalk> DeriveCrosswalk(const std::string& path,
                                               const std::string& from_column,
                                               const std::string& to_column,
                                               const ReaderOptions& reader,
                                               const CodeList* from_codes,
                                               const CodeList* to_codes);

}  // namespace statcoder::data
