// Model: everything needed to code a record, immutable once built: the featurizer config, the
// feature vocabulary with IDF weights, a sparse int8-quantised linear layer (features × labels),
// the label dictionary, the code list (optional), the calibration temperature, the decision
// policy and the training metadata. Trainer builds one, model_io saves and loads it,
// Predictor scores records with it.
//
//   ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, LoadModel("model.stc"));
//   Predictor predictor(model);
//   Prediction p;
//   RETURN_IF_ERROR(predictor.Predict(record, /*top_k=*/5, &p));
//
// Thread-safety: a Model is immutable and shared as std::shared_ptr<const Model>; every const
// method may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/code_list.h"
#include "model/calibration.h"
#include "model/decision_policy.h"
#include "model/feature_index.h"
#include "text/featurizer.h"

namespace statcoder::model {

// A sparse linear layer stored row-wise (one row per vocabulary feature) with int8 weights and
// a float scale per row: weight(f, o) = scale[f] * value. Its outputs are the labels, or, with
// hierarchical sharing, the labels plus their ancestors in the code list (see OutputMap).
// Pruned after training (TrainOptions::max_weights_per_feature), so the model file stays small.
struct SparseLinear {
  uint32_t num_outputs = 0;
  std::vector<uint32_t> row_offsets;  // size = features + 1
  std::vector<uint32_t> columns;      // output index per stored weight
  std::vector<int8_t> values;         // quantised weight per stored weight
  std::vector<float> row_scale;       // per feature
  std::vector<float> bias;            // per output

  size_t num_features() const { return row_scale.size(); }
};

// Which outputs of the linear layer add up to each label's score. With hierarchical sharing a
// label's score is the sum of its own output and those of its ancestors (sector, subsector...),
// so rare codes borrow strength from the groups they belong to. Empty = identity (output c is
// label c). Stored as each label's path (its own output first, then parent, grandparent...);
// Finalize() derives the tree that Fold and Unfold walk in one pass each.
struct OutputMap {
  std::vector<uint32_t> offsets;  // size labels + 1 when not identity
  std::vector<uint32_t> outputs;

  bool identity() const { return offsets.empty(); }

  // Builds the derived tree; kDataLoss when the paths do not form one (an output with two
  // different parents, a label output reused as an ancestor). REQUIRES num_outputs >= labels.
  core::Status Finalize(size_t num_outputs);

  // label_scores[c] = sum of the outputs on label c's path. Overwrites the ancestor entries of
  // `outputs` with their cumulative sums from the top (scratch use). REQUIRES Finalize().
  void Fold(std::span<float> outputs, std::span<float> label_scores) const;
  // output_grad[o] = sum of label_grad[c] over the labels whose path contains o.
  void Unfold(std::span<const float> label_grad, std::span<float> output_grad) const;

 private:
  std::vector<int32_t> parent_;         // per output: the next output on its paths, or -1
  std::vector<uint32_t> top_down_;      // ancestor outputs (index >= labels), parents first
  size_t labels_ = 0;
};

struct ModelData {
  text::FeaturizerConfig featurizer;
  std::vector<std::string> labels;           // label index → code
  std::optional<data::CodeList> code_list;   // present when trained with --codelist
  FeatureIndex features;                     // hashed feature id → row, with IDF
  SparseLinear linear;
  OutputMap label_outputs;
  double temperature = 1.0;                  // calibrated softmax temperature
  // Maps of the rolled-up probabilities of the levels above the codes (index = depth - 1;
  // empty, or shorter than the code list, for identity): see calibration.h.
  std::vector<LevelCalibration> level_calibration;
  DecisionPolicy policy;
  nlohmann::json metadata = nlohmann::json::object();  // options, data hash, counts (sorted keys)
};

class Model {
 public:
  // Checks internal consistency (sizes, label codes in the code list) and builds lookup tables.
  // `version_id` is the first 16 hex digits of the SHA-256 of the model's file bytes (see
  // model_io.h); empty for a model that was never serialised (e.g. inside the trainer).
  static core::Result<std::shared_ptr<const Model>> Create(ModelData data,
                                                           std::string version_id = "");

  const ModelData& data() const { return data_; }
  const text::Featurizer& featurizer() const { return featurizer_; }
  size_t num_labels() const { return data_.labels.size(); }
  const std::string& label(size_t i) const { return data_.labels[i]; }
  int32_t FindLabel(std::string_view code) const;  // -1 if not a trained label

  // Index of label i in the code list, or -1 without a code list.
  int32_t LabelNode(size_t i) const { return label_node_[i]; }
  const std::vector<int32_t>& label_nodes() const { return label_node_; }
  // Depth of the label's code in the code list (1 without a code list).
  int LabelDepth(size_t i) const;
  bool has_code_list() const { return data_.code_list.has_value(); }
  const data::CodeList* code_list() const {
    return data_.code_list ? &*data_.code_list : nullptr;
  }

  // The decision policy, ready to apply (see decision_policy.h).
  const CompiledPolicy& policy() const { return *policy_; }

  // Short identifier of this exact model (see Create).
  const std::string& version_id() const { return version_id_; }

 private:
  Model(ModelData data, text::Featurizer featurizer, std::string version_id)
      : data_(std::move(data)),
        featurizer_(std::move(featurizer)),
        version_id_(std::move(version_id)) {}

  ModelData data_;
  text::Featurizer featurizer_;
  std::vector<int32_t> label_node_;
  std::unordered_map<std::string, int32_t> label_index_;
  std::unique_ptr<CompiledPolicy> policy_;
  std::string version_id_;
};

}  // namespace statcoder::model
