// Several classifications per record (model/joint_model.h) in the verbs that train, evaluate
// and code: `--label soc2020,isco08` trains a joint model; evaluate and code recognise its file.
#pragma once

#include <string>
#include <vector>

#include "cli_common.h"
#include "data/dataset.h"
#include "model/train_options.h"

namespace statcoder::cli {

// Whether the file at `path` is a joint model (its first bytes); false when unreadable.
bool IsJointModelFile(const std::string& path);

struct JointTrainRequest {
  std::string data_path, out_path;
  data::Schema schema;                  // label_field unused; labels below
  std::vector<std::string> labels;      // two or more
  std::vector<std::string> codelists;   // empty, one (first label) or one per label
  // A correspondence table between the two label fields (data/crosswalk.h): the allowed pairs.
  // Empty: the pairs the training records carry.
  std::string allowed_table;
  // Or a table of allowed keys with a column per label field (data/key_table.h), or an SDMX
  // structure message whose dimensions the label fields name (sdmx/structure.h), and which of
  // its structures (`structure_id`; with valid_keys, the id SDMX-CSV output names).
  std::string valid_keys, structure, structure_id;
  // Plausibility rules on the series' values (model/plausibility.h), stored in the model.
  std::string plausibility;
  data::CodeListOptions codelist_options;
  model::TrainOptions options;
  InputOptions input;
  bool json = false, quiet = false;
};
core::Status RunJointTrain(const JointTrainRequest& r);

// The reporter memory (model/key_memory.h): confirmed codes per reporter and descriptor,
// consulted before the model. Empty path: none.
struct KeyMemoryOptions {
  std::string path, reporter_column;
};

// evaluate: `labels` empty = the model's label fields.
// `dimension_columns`: as JointCodeRequest's, for the structure's constraints on copied
// dimensions.
core::Status RunJointEvaluate(const CodingOptions& coding, const std::vector<std::string>& labels,
                              bool json, bool quiet, const KeyMemoryOptions& memory = {},
                              const std::vector<std::string>& dimension_columns = {});

// code: one column group per classification. `format` "sdmx-csv" writes SDMX-CSV 2.0 (the coded
// keys) to out_path and statcoder's own TSV beside it (out_path + ".statcoder.tsv").
struct JointCodeRequest {
  std::string out_path = "-";
  std::string format;        // "", "tsv" or "sdmx-csv"
  std::string structure_id;  // overrides the SDMX structure the model records
  // "DIM=COLUMN": the input column holding a dimension the model does not code (FREQ=freq);
  // by default the column named as the dimension, in any case. Written into SDMX-CSV keys, and
  // read whatever the format when the structure's constraints tie coded dimensions to it.
  std::vector<std::string> dimension_columns;
  KeyMemoryOptions memory;
  bool json = false, quiet = false;
};
core::Status RunJointCode(const CodingOptions& coding, const JointCodeRequest& r);

}  // namespace statcoder::cli
