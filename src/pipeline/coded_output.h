// The coded-records file that `statcoder code` and `statcoder cycle` write: one row per input
// record, in order, with the decided code, its confidence, the decision, the level it was coded
// at, the top-k alternatives, the model version (on every row, so a file cut apart still says
// what coded it), the reason and, in a workspace, the knowledge-base entry used. TSV (default),
// CSV (RFC 4180) or JSON Lines, chosen by the output file's extension (docs/cli.md, "statcoder code").
//
//   CodedWriter writer(data::FileFormat::kTsv, /*top_k=*/5, /*kb_column=*/true);
//   std::string out;
//   writer.Header(&out);
//   for (size_t i = 0; i < n; ++i) writer.Record(model, ids[i], predictions[i], entry[i], &out);
//
// Thread-safety: a CodedWriter is immutable after construction.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "data/record_reader.h"
#include "model/model.h"
#include "model/predictor.h"

namespace statcoder::pipeline {

class CodedWriter {
 public:
  // With `kb_column`, a column `kb_entry` names the knowledge-base entry used (or empty).
  // `kept` names input columns written last, as they are (Record's `kept` values, same order).
  CodedWriter(data::FileFormat format, int top_k, bool kb_column,
              std::vector<std::string> kept = {})
      : format_(format), top_k_(top_k), kb_column_(kb_column), kept_(std::move(kept)) {}

  // The output's own column names: a kept column may not take one (kInvalidArgument).
  core::Status CheckKeptNames() const;

  // The header row (nothing for JSON Lines).
  void Header(std::string* out) const;
  // One coded record; `kb_entry` 0 when no knowledge-base entry decided it.
  void Record(const model::Model& m, const std::string& id, const model::Prediction& p,
              int64_t kb_entry, std::string* out,
              const std::vector<std::string>& kept = {}) const;

 private:
  void Row(const std::vector<std::string>& cols, std::string* out) const;

  std::vector<std::string> Columns() const;

  data::FileFormat format_;
  int top_k_;
  bool kb_column_;
  std::vector<std::string> kept_;
};

}  // namespace statcoder::pipeline
