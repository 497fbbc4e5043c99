// Predictor: codes one record at a time with a shared Model: featurize, look up features,
// sparse dot products, calibrated softmax, top-k, hierarchy roll-up and the auto/review decision.
// Scratch buffers live in the Predictor, so steady-state coding allocates nothing per record
// beyond the Prediction's own strings.
//
//   Predictor predictor(model);            // one per thread
//   Prediction p;
//   RETURN_IF_ERROR(predictor.Predict(view, 5, &p));
//   // p.code, p.decision, p.top[0].probability ...
//
// Thread-safety: not thread-safe (scratch buffers); use one Predictor per thread. The Model is
// shared and immutable.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/model.h"

namespace statcoder::model {

// kKb: coded from the workspace's knowledge base (kb/knowledge_base.h), not by the model.
enum class Decision { kAuto, kReview, kKb };
std::string_view DecisionName(Decision d);  // "auto", "review", "kb"

struct ScoredLabel {
  int32_t label = -1;       // index into Model::labels
  float probability = 0;    // calibrated
};

struct Prediction {
  std::vector<ScoredLabel> top;  // best first; min(top_k, num_labels) entries
  std::string code;              // decided code: a label, or an ancestor for partial coding
  int level = 1;                 // depth of `code` in the code list (1 without one)
  double confidence = 0;         // calibrated probability of `code`
  Decision decision = Decision::kReview;
  // Why a record was referred ("below_threshold", "margin", "refer_code", "no_auto_code",
  // "kb_conflict": the model strongly disagrees with the knowledge base); empty when auto-coded.
  // Points to a string literal.
  std::string_view reason;
  uint32_t num_features = 0;     // features produced by the featurizer
  uint32_t known_features = 0;   // of which were seen in training
};

// A record as a sparse vector over the model's feature rows: unique rows, ascending, with
// TF-IDF weights (sublinear tf) normalised to unit L2 length.
struct SparseVector {
  std::vector<uint32_t> rows;
  std::vector<float> values;
};

class Predictor {
 public:
  explicit Predictor(std::shared_ptr<const Model> model);

  core::Status Predict(const text::RecordView& record, int top_k, Prediction* out);

  // Calibrated probabilities of every label from the last Predict (size num_labels).
  std::span<const float> probabilities() const { return scores_; }

  const Model& model() const { return *model_; }

 private:
  std::shared_ptr<const Model> model_;
  std::vector<uint64_t> ids_;
  SparseVector x_;
  std::vector<float> outputs_;
  std::vector<float> scores_;
  std::vector<double> rolled_;
  std::vector<LevelCandidate> levels_;
};

// ---- Building blocks shared with the trainer and explanation code ----

// Maps hashed feature ids to rows of `index` and weights them. Unknown ids are dropped;
// *known (optional) receives how many of `ids` were known.
void Vectorize(const FeatureIndex& index, std::span<const uint64_t> ids, SparseVector* out,
               uint32_t* known = nullptr);

// outputs[o] = bias[o] + sum_f x_f * weight(f, o). REQUIRES outputs.size() == num_outputs.
void ComputeOutputs(const SparseLinear& linear, const SparseVector& x, std::span<float> outputs);

// Uncalibrated label scores: ComputeOutputs then OutputMap::Fold. `outputs` is scratch.
void ComputeLogits(const SparseLinear& linear, const OutputMap& map, const SparseVector& x,
                   std::vector<float>* outputs, std::span<float> scores);

// rolled[n] = sum of the probabilities of the labels at or under code-list node n.
// `label_node[c]` is label c's node. One pass over the labels, one over the tree.
void RollUp(const data::CodeList& codes, std::span<const int32_t> label_node,
            std::span<const float> probabilities, std::vector<double>* rolled);

// The best and runner-up node of every depth by rolled-up probability (index depth - 1).
// `rolled` is scratch. Empty when the code list is deeper than any official classification.
// `level_calibration[d - 1]` maps the probabilities of depth d (none: as rolled up).
void ComputeLevelCandidates(const data::CodeList& codes, std::span<const int32_t> label_node,
                            std::span<const float> probabilities,
                            std::span<const LevelCalibration> level_calibration,
                            std::vector<double>* rolled, std::vector<LevelCandidate>* levels);

// Applies `level_calibration` to the candidates of the levels it covers, keeping each best
// node at least as probable as the best node below it that it contains.
void CalibrateLevels(const data::CodeList& codes,
                     std::span<const LevelCalibration> level_calibration,
                     std::vector<LevelCandidate>* levels);

// Everything a policy decides on, from calibrated label probabilities (levels filled when the
// model has a code list). For evaluating other policies on the same scores.
DecisionEvidence ExtractEvidence(const Model& model, std::span<const float> probabilities);
// The same from the parts of a model (the trainer has no Model yet); `rolled` is scratch.
DecisionEvidence ExtractEvidence(const data::CodeList* codes,
                                 std::span<const int32_t> label_node,
                                 std::span<const float> probabilities,
                                 std::span<const LevelCalibration> level_calibration,
                                 std::vector<double>* rolled);

// Applies `policy` to calibrated label probabilities whose best label is `top_label`; fills
// code/level/confidence/decision/reason. `rolled` and `levels` are scratch.
void Decide(const Model& model, const CompiledPolicy& policy,
            std::span<const float> probabilities, int32_t top_label, std::vector<double>* rolled,
            std::vector<LevelCandidate>* levels, Prediction* out);

// The same decision from extracted evidence (no probabilities needed).
void DecideFromEvidence(const Model& model, const CompiledPolicy& policy,
                        const DecisionEvidence& evidence, Prediction* out);

}  // namespace statcoder::model
