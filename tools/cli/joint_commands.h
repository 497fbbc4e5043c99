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
  data::CodeListOptions codelist_options;
  model::TrainOptions options;
  InputOptions input;
  bool json = false, quiet = false;
};
core::Status RunJointTrain(const JointTrainRequest& r);

// evaluate: `labels` empty = the model's label fields.
core::Status RunJointEvaluate(const CodingOptions& coding, const std::vector<std::string>& labels,
                              bool json, bool quiet);

// code: one column group per classification.
core::Status RunJointCode(const CodingOptions& coding, const std::string& out_path, bool json,
                          bool quiet);

}  // namespace statcoder::cli
