#include "model/predictor.h"

#include <algorithm>
#include <cmath>

#include "model/calibration.h"

namespace statcoder::model {

std::string_view DecisionName(Decision d) {
  switch (d) {
    case Decision::kAuto: return "auto";
    case Decision::kReview: return "review";
    case Decision::kKb: return "kb";
  }
  return "review";
}

void Vectorize(const FeatureIndex& index, std::span<const uint64_t> ids, SparseVector* out,
               uint32_t* known) {
  out->rows.clear();
  out->values.clear();
  uint32_t n_known = 0;
  for (uint64_t id : ids) {
    const int64_t row = index.Find(id);
    if (row < 0) continue;
    ++n_known;
    out->rows.push_back(static_cast<uint32_t>(row));
  }
  if (known) *known = n_known;
  if (out->rows.empty()) return;
  std::sort(out->rows.begin(), out->rows.end());
  // Collapse duplicates into term counts, then weight by (1 + log tf) * idf.
  size_t w = 0;
  double norm2 = 0;
  for (size_t r = 0; r < out->rows.size();) {
    size_t e = r;
    while (e < out->rows.size() && out->rows[e] == out->rows[r]) ++e;
    const float tf = static_cast<float>(1.0 + std::log(static_cast<double>(e - r)));
    const float v = tf * index.idf(out->rows[r]);
    out->rows[w] = out->rows[r];
    out->values.push_back(v);
    norm2 += static_cast<double>(v) * v;
    ++w;
    r = e;
  }
  out->rows.resize(w);
  const float inv = static_cast<float>(1.0 / std::sqrt(norm2));
  for (float& v : out->values) v *= inv;
}

void ComputeLogits(const SparseLinear& linear, const OutputMap& map, const SparseVector& x,
                   std::vector<float>* outputs, std::span<float> scores) {
  outputs->resize(linear.num_outputs);
  ComputeOutputs(linear, x, *outputs);
  map.Fold(*outputs, scores);
}

void ComputeOutputs(const SparseLinear& linear, const SparseVector& x, std::span<float> scores) {
  std::copy(linear.bias.begin(), linear.bias.end(), scores.begin());
  float* out = scores.data();
  for (size_t i = 0; i < x.rows.size(); ++i) {
    const uint32_t row = x.rows[i];
    const float s = x.values[i] * linear.row_scale[row];
    const uint32_t begin = linear.row_offsets[row], end = linear.row_offsets[row + 1];
    const uint32_t* cols = linear.columns.data();
    const int8_t* vals = linear.values.data();
    for (uint32_t j = begin; j < end; ++j) out[cols[j]] += s * static_cast<float>(vals[j]);
  }
}

void RollUp(const data::CodeList& codes, std::span<const int32_t> label_node,
            std::span<const float> probabilities, std::vector<double>* rolled) {
  rolled->assign(codes.size(), 0.0);
  for (size_t c = 0; c < label_node.size(); ++c) {
    (*rolled)[static_cast<size_t>(label_node[c])] += probabilities[c];
  }
  for (int32_t n : codes.bottom_up()) {
    const int32_t parent = codes.node(n).parent;
    if (parent >= 0) (*rolled)[static_cast<size_t>(parent)] += (*rolled)[static_cast<size_t>(n)];
  }
}

void ComputeLevelCandidates(const data::CodeList& codes, std::span<const int32_t> label_node,
                            std::span<const float> probabilities,
                            std::span<const LevelCalibration> level_calibration,
                            std::vector<double>* rolled, std::vector<LevelCandidate>* levels) {
  // Deeper hierarchies than any official classification get no partial coding.
  constexpr int kMaxDepth = 16;
  levels->clear();
  if (codes.max_depth() > kMaxDepth) return;
  RollUp(codes, label_node, probabilities, rolled);
  levels->assign(static_cast<size_t>(codes.max_depth()), LevelCandidate{});
  for (size_t n = 0; n < codes.size(); ++n) {
    LevelCandidate& c = (*levels)[static_cast<size_t>(codes.node(static_cast<int32_t>(n)).depth - 1)];
    const double p = (*rolled)[n];
    if (c.node < 0 || p > c.probability) {
      if (c.node >= 0) c.runner_up = c.probability;
      c.probability = p;
      c.node = static_cast<int32_t>(n);
    } else if (p > c.runner_up) {
      c.runner_up = p;
    }
  }
  CalibrateLevels(codes, level_calibration, levels);
}

void CalibrateLevels(const data::CodeList& codes,
                     std::span<const LevelCalibration> level_calibration,
                     std::vector<LevelCandidate>* levels) {
  const size_t mapped = std::min(levels->size(), level_calibration.size());
  // The maps are increasing, so the best node of each level stays the best.
  for (size_t d = 0; d < mapped; ++d) {
    LevelCandidate& c = (*levels)[d];
    if (c.node < 0) continue;
    c.probability = level_calibration[d].Apply(c.probability);
    c.runner_up = level_calibration[d].Apply(c.runner_up);
  }
  // A group is never stated less likely than its best member: from the deepest mapped level
  // up, a node keeps at least the probability of the best node below it when that node is
  // its child.
  for (size_t d = mapped; d-- > 0;) {
    LevelCandidate& c = (*levels)[d];
    if (d + 1 >= levels->size() || c.node < 0) continue;
    const LevelCandidate& below = (*levels)[d + 1];
    if (below.node >= 0 && codes.AncestorAtDepth(below.node, static_cast<int>(d) + 1) == c.node) {
      c.probability = std::max(c.probability, below.probability);
    }
  }
}

namespace {

// Best and second-best probability; ties broken by the lower label index (as Predict does).
void TopTwo(std::span<const float> probabilities, int32_t* top, double* p1, double* p2) {
  *top = 0;
  *p1 = probabilities[0];
  *p2 = 0;
  for (size_t c = 1; c < probabilities.size(); ++c) {
    const double p = probabilities[c];
    if (p > *p1) {
      *p2 = *p1;
      *p1 = p;
      *top = static_cast<int32_t>(c);
    } else if (p > *p2) {
      *p2 = p;
    }
  }
}

double RunnerUp(std::span<const float> probabilities, int32_t top_label) {
  double p2 = 0;
  for (size_t c = 0; c < probabilities.size(); ++c) {
    if (static_cast<int32_t>(c) != top_label) p2 = std::max<double>(p2, probabilities[c]);
  }
  return p2;
}

void FillOutcome(const Model& model, const DecisionEvidence& e, const PolicyOutcome& o,
                 Prediction* out) {
  const auto label = static_cast<size_t>(e.top_label);
  out->decision = o.auto_coded ? Decision::kAuto : Decision::kReview;
  out->reason = o.reason;
  if (o.node >= 0) {
    out->code = model.code_list()->node(o.node).code;
    out->level = o.depth;
    // A sum of float probabilities can round to just above 1.
    out->confidence = std::min(1.0, o.confidence);
  } else {
    out->code = model.label(label);
    out->level = model.LabelDepth(label);
    out->confidence = e.top_probability;
  }
}

}  // namespace

DecisionEvidence ExtractEvidence(const data::CodeList* codes,
                                 std::span<const int32_t> label_node,
                                 std::span<const float> probabilities,
                                 std::span<const LevelCalibration> level_calibration,
                                 std::vector<double>* rolled) {
  DecisionEvidence e;
  TopTwo(probabilities, &e.top_label, &e.top_probability, &e.runner_up_probability);
  if (codes != nullptr) {
    ComputeLevelCandidates(*codes, label_node, probabilities, level_calibration, rolled,
                           &e.levels);
  }
  return e;
}

DecisionEvidence ExtractEvidence(const Model& model, std::span<const float> probabilities) {
  std::vector<double> rolled;
  return ExtractEvidence(model.code_list(), model.label_nodes(), probabilities,
                         model.data().level_calibration, &rolled);
}

void Decide(const Model& model, const CompiledPolicy& policy,
            std::span<const float> probabilities, int32_t top_label, std::vector<double>* rolled,
            std::vector<LevelCandidate>* levels, Prediction* out) {
  DecisionEvidence e;
  e.top_label = top_label;
  e.top_probability = probabilities[static_cast<size_t>(top_label)];
  // The runner-up only matters with a margin rule; skip the scan otherwise.
  e.runner_up_probability =
      policy.policy().min_margin > 0 ? RunnerUp(probabilities, top_label) : 0.0;
  const PolicyOutcome o = ApplyPolicy(
      policy, e, model.LabelDepth(static_cast<size_t>(top_label)),
      [&]() -> const std::vector<LevelCandidate>& {
        levels->clear();
        if (model.code_list() != nullptr) {
          ComputeLevelCandidates(*model.code_list(), model.label_nodes(), probabilities,
                                 model.data().level_calibration, rolled, levels);
        }
        return *levels;
      });
  FillOutcome(model, e, o, out);
}

void DecideFromEvidence(const Model& model, const CompiledPolicy& policy,
                        const DecisionEvidence& evidence, Prediction* out) {
  const PolicyOutcome o =
      ApplyPolicy(policy, evidence, model.LabelDepth(static_cast<size_t>(evidence.top_label)),
                  [&]() -> const std::vector<LevelCandidate>& { return evidence.levels; });
  FillOutcome(model, evidence, o, out);
}

Predictor::Predictor(std::shared_ptr<const Model> model) : model_(std::move(model)) {
  scores_.resize(model_->num_labels());
}

core::Status Predictor::Predict(const text::RecordView& record, int top_k, Prediction* out) {
  ids_.clear();
  RETURN_IF_ERROR(model_->featurizer().Featurize(record, &ids_));
  uint32_t known = 0;
  Vectorize(model_->data().features, ids_, &x_, &known);
  ComputeLogits(model_->data().linear, model_->data().label_outputs, x_, &outputs_, scores_);
  Softmax(scores_, model_->data().temperature);

  const size_t k = std::min<size_t>(static_cast<size_t>(std::max(top_k, 1)), scores_.size());
  out->top.clear();
  // Partial selection of the k best; ties broken by label index so output is deterministic.
  for (size_t c = 0; c < scores_.size(); ++c) {
    const float p = scores_[c];
    if (out->top.size() == k && p <= out->top.back().probability) continue;
    ScoredLabel s{static_cast<int32_t>(c), p};
    auto pos = std::upper_bound(out->top.begin(), out->top.end(), s,
                                [](const ScoredLabel& a, const ScoredLabel& b) {
                                  return a.probability > b.probability;
                                });
    out->top.insert(pos, s);
    if (out->top.size() > k) out->top.pop_back();
  }
  out->num_features = static_cast<uint32_t>(ids_.size());
  out->known_features = known;
  Decide(*model_, model_->policy(), scores_, out->top[0].label, &rolled_, &levels_, out);
  return core::Status::Ok();
}

}  // namespace statcoder::model
