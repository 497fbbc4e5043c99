#include "model/trainer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <unordered_map>

#include "core/check.h"
#include "core/parallel.h"
#include "core/random.h"
#include "core/version.h"
#include "model/calibration.h"
#include "model/policy_fitting.h"
#include "model/predictor.h"

namespace statcoder::model {
namespace {

// Seed streams: each purpose draws from its own stream of the user seed.
constexpr uint64_t kHoldoutStream = 1;
constexpr uint64_t kCalibrationSgdStream = 2;
constexpr uint64_t kFinalSgdStream = 3;

// Output-layer updates smaller than this (|p_c - y_c|) are skipped: they would move weights by
// less than float noise while costing a memory write per feature and label.
constexpr float kMinGradient = 1e-5f;

// Thresholds need enough held-out support to mean anything.
constexpr size_t kMinThresholdSupport = 10;

// Training examples as sparse TF-IDF vectors (CSR) with their label index.
struct Examples {
  std::vector<uint64_t> offsets{0};
  std::vector<uint32_t> rows;
  std::vector<float> values;
  std::vector<int32_t> labels;

  size_t size() const { return labels.size(); }
  SparseVector Get(size_t i) const {
    SparseVector v;
    v.rows.assign(rows.begin() + static_cast<ptrdiff_t>(offsets[i]),
                  rows.begin() + static_cast<ptrdiff_t>(offsets[i + 1]));
    v.values.assign(values.begin() + static_cast<ptrdiff_t>(offsets[i]),
                    values.begin() + static_cast<ptrdiff_t>(offsets[i + 1]));
    return v;
  }
};

// Dense weights while training: features × labels, row-major, plus bias.
struct DenseLinear {
  size_t num_features = 0, num_outputs = 0;
  std::vector<float> weights;
  std::vector<float> accumulators;  // AdaGrad's sums of squared gradients (adagrad only)
  std::vector<float> bias;
};

std::vector<std::string_view> Views(const std::vector<std::string>& v) {
  return std::vector<std::string_view>(v.begin(), v.end());
}

// Featurises every record (in parallel, results by index so the order never depends on threads).
core::Status FeaturizeAll(const text::Featurizer& featurizer, const data::Dataset& dataset,
                          int threads, std::vector<std::vector<uint64_t>>* out) {
  const size_t n = dataset.records.size();
  out->assign(n, {});
  std::vector<core::Status> errors(static_cast<size_t>(std::max(threads, 1)));
  core::ParallelFor(n, threads, [&](size_t begin, size_t end, int worker) {
    for (size_t i = begin; i < end; ++i) {
      const data::Record& r = dataset.records[i];
      const auto texts = Views(r.texts);
      const auto cats = Views(r.categoricals);
      text::RecordView view{texts, cats, r.numerics};
      core::Status s = featurizer.Featurize(view, &(*out)[i]);
      if (!s.ok()) {
        errors[static_cast<size_t>(worker)] =
            s.WithContext(dataset.path + ":" + std::to_string(r.line));
        return;
      }
    }
  });
  for (const auto& e : errors) RETURN_IF_ERROR(e);
  return core::Status::Ok();
}

// Vocabulary: features present in at least min_count records, sorted by id, with smoothed IDF
// log((1 + N) / (1 + df)) + 1 (as scikit-learn's TfidfVectorizer).
FeatureIndex BuildFeatureIndex(const std::vector<std::vector<uint64_t>>& features,
                               uint32_t min_count) {
  std::unordered_map<uint64_t, uint32_t> df;
  df.reserve(features.size() * 32);
  std::vector<uint64_t> unique;
  for (const auto& f : features) {
    unique.assign(f.begin(), f.end());
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    for (uint64_t id : unique) ++df[id];
  }
  std::vector<uint64_t> ids;
  ids.reserve(df.size());
  for (const auto& [id, count] : df) {
    if (count >= min_count) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  std::vector<float> idf(ids.size());
  const double n = static_cast<double>(features.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    idf[i] = static_cast<float>(std::log((1 + n) / (1 + df[ids[i]])) + 1);
  }
  return FeatureIndex(std::move(ids), std::move(idf));
}

Examples Vectorize(const FeatureIndex& index, const std::vector<std::vector<uint64_t>>& features,
                   const std::vector<int32_t>& labels) {
  Examples ex;
  SparseVector v;
  for (size_t i = 0; i < features.size(); ++i) {
    Vectorize(index, features[i], &v);
    ex.rows.insert(ex.rows.end(), v.rows.begin(), v.rows.end());
    ex.values.insert(ex.values.end(), v.values.begin(), v.values.end());
    ex.offsets.push_back(ex.rows.size());
    ex.labels.push_back(labels[i]);
  }
  return ex;
}

// Hot loops of training, compiled for AVX2 and for the baseline ISA (the loader picks one at
// run time), so no -march flag is needed. Each is element-wise over labels with no reduction, so
// both versions give bit-identical results.
__attribute__((target_clones("avx2", "default"))) void AddScaledRow(float a, const float* row,
                                                                    float* z, size_t n) {
  for (size_t c = 0; c < n; ++c) z[c] += a * row[c];
}

// Output-layer update restricted to the outputs whose gradient is not negligible: after the
// first epochs only a few dozen of a thousand codes have any probability left, so this saves
// most of the memory traffic of the backward pass.
void SgdUpdateRow(float a, const float* g, const std::vector<uint32_t>& active, float* row) {
  for (uint32_t o : active) row[o] -= a * g[o];
}

__attribute__((target_clones("avx2", "default"))) void AdagradUpdateRow(float lr, float x,
                                                                        const float* g,
                                                                        float* row, float* acc,
                                                                        size_t n) {
  for (size_t c = 0; c < n; ++c) {
    const float grad = x * g[c];
    const float sum = acc[c] + grad * grad;
    acc[c] = sum;
    row[c] -= sum > 0.0f ? lr * grad / std::sqrt(sum) : 0.0f;
  }
}

// Per-thread buffers of one SGD step.
struct StepScratch {
  std::vector<float> outputs, scores, output_grad;
  std::vector<uint32_t> active;  // outputs with a gradient of at least kMinGradient
};

// One step of softmax regression on example i: output scores, label scores (folded through the
// output map), gradient p - y on labels, then on outputs, then the updates.
void SgdStep(const Examples& ex, size_t i, float lr, bool adagrad, const OutputMap& map,
             DenseLinear* w, StepScratch* scratch) {
  const size_t o_count = w->num_outputs;
  std::vector<float>& out = scratch->outputs;
  std::copy(w->bias.begin(), w->bias.end(), out.begin());
  const uint64_t begin = ex.offsets[i], end = ex.offsets[i + 1];
  for (uint64_t j = begin; j < end; ++j) {
    AddScaledRow(ex.values[j], w->weights.data() + static_cast<size_t>(ex.rows[j]) * o_count,
                 out.data(), o_count);
  }
  std::vector<float>& z = scratch->scores;
  map.Fold(out, z);
  Softmax(z, 1.0);
  z[static_cast<size_t>(ex.labels[i])] -= 1.0f;  // z is now the gradient p - y
  std::vector<float>& g = scratch->output_grad;
  map.Unfold(z, g);
  std::vector<uint32_t>& active = scratch->active;
  active.clear();
  for (size_t o = 0; o < o_count; ++o) {
    w->bias[o] -= lr * g[o];
    if (std::fabs(g[o]) >= kMinGradient) active.push_back(static_cast<uint32_t>(o));
  }
  for (uint64_t j = begin; j < end; ++j) {
    const size_t offset = static_cast<size_t>(ex.rows[j]) * o_count;
    if (adagrad) {
      AdagradUpdateRow(lr, ex.values[j], g.data(), w->weights.data() + offset,
                       w->accumulators.data() + offset, o_count);
    } else {
      SgdUpdateRow(lr * ex.values[j], g.data(), active, w->weights.data() + offset);
    }
  }
}

// Passes and initial learning rate of one SGD run (the rate decays linearly to 0).
struct SgdSchedule {
  int epochs = 0;
  double learning_rate = 0;
};

// SGD over `subset` of the examples, from zero weights or, when `start` is given, from those
// (warm start). Deterministic mode uses one thread; otherwise the epoch's shuffled order is split
// between threads that update the shared weights without locks (Hogwild): sparse updates rarely
// collide, and the rare lost update does not hurt accuracy.
DenseLinear RunSgd(const Examples& ex, const std::vector<size_t>& subset, size_t num_features,
                   size_t num_outputs, size_t num_labels, const OutputMap& map,
                   const TrainOptions& options, SgdSchedule schedule, DenseLinear* start,
                   uint64_t stream, const core::ProgressCallback& progress,
                   std::string_view stage) {
  const bool adagrad = options.optimizer == "adagrad";
  DenseLinear w;
  if (start != nullptr) {
    w = std::move(*start);
  } else {
    w.num_features = num_features;
    w.num_outputs = num_outputs;
    w.weights.assign(num_features * num_outputs, 0.0f);
    w.bias.assign(num_outputs, 0.0f);
    if (adagrad) w.accumulators.assign(num_features * num_outputs, 0.0f);
  }
  const int threads = options.deterministic ? 1 : std::max(1, options.threads);
  core::Random rng(core::DeriveSeed(options.seed, stream));
  std::vector<size_t> order = subset;
  const double total = static_cast<double>(schedule.epochs) * static_cast<double>(subset.size());
  for (int epoch = 0; epoch < schedule.epochs; ++epoch) {
    rng.Shuffle(order);
    core::ParallelFor(order.size(), threads, [&](size_t begin, size_t end, int worker) {
      StepScratch scratch{std::vector<float>(num_outputs), std::vector<float>(num_labels),
                          std::vector<float>(num_outputs), {}};
      const uint64_t epoch_base = static_cast<uint64_t>(epoch) * order.size();
      for (size_t k = begin; k < end; ++k) {
        // Progress through training as if threads advanced in step, so the schedule does not
        // depend on timing.
        const double t = static_cast<double>(epoch_base + (k - begin) * static_cast<size_t>(threads));
        const float lr =
            static_cast<float>(schedule.learning_rate * std::max(0.0, 1.0 - t / total));
        SgdStep(ex, order[k], lr, adagrad, map, &w, &scratch);
        if (worker == 0 && progress && (k - begin) % 1024 == 0) {
          progress(stage, epoch_base + (k - begin) * static_cast<size_t>(threads),
                   static_cast<uint64_t>(total));
        }
      }
    });
  }
  if (progress) progress(stage, static_cast<uint64_t>(total), static_cast<uint64_t>(total));
  return w;
}

// Sparsifies the trained weights and quantises them to int8 with a per-row scale.
//  1. Each row's label part is centred on its median: adding one constant to a feature's weight
//     for every label shifts every label score equally and changes no probability, and after
//     centring the many small "push every other label down" weights are close to zero.
//     (`num_labels` outputs come first, see OutputMap; ancestor outputs are not centred, since
//     labels of different depths use different numbers of them.)
//  2. One global magnitude threshold keeps about mean_per_row × rows weights in all: frequent
//     features that tell many codes apart keep many weights, rare ones few (at most max_per_row).
SparseLinear PruneAndQuantize(const DenseLinear& w, size_t num_labels, uint32_t mean_per_row,
                              uint32_t max_per_row) {
  const size_t n_out = w.num_outputs;
  std::vector<float> centred = w.weights;
  std::vector<float> sorted(num_labels);
  for (size_t f = 0; f < w.num_features; ++f) {
    float* row = centred.data() + f * n_out;
    std::copy(row, row + num_labels, sorted.begin());
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<ptrdiff_t>(num_labels / 2),
                     sorted.end());
    const float median = sorted[num_labels / 2];
    for (size_t c = 0; c < num_labels; ++c) row[c] -= median;
  }
  // The threshold is the quantile of |w| that leaves the budget, estimated on a fixed sample.
  const size_t total = centred.size();
  const size_t budget = std::min(total, static_cast<size_t>(mean_per_row) * w.num_features);
  float threshold = 0;
  if (budget < total) {
    const size_t stride = std::max<size_t>(1, total / 2'000'000);
    std::vector<float> sample;
    sample.reserve(total / stride + 1);
    for (size_t i = 0; i < total; i += stride) sample.push_back(std::fabs(centred[i]));
    const auto rank = static_cast<size_t>(static_cast<double>(sample.size()) *
                                          (1.0 - static_cast<double>(budget) / static_cast<double>(total)));
    std::nth_element(sample.begin(), sample.begin() + static_cast<ptrdiff_t>(rank), sample.end());
    threshold = sample[rank];
  }

  SparseLinear out;
  out.num_outputs = static_cast<uint32_t>(n_out);
  out.bias = w.bias;
  out.row_offsets.reserve(w.num_features + 1);
  out.row_offsets.push_back(0);
  out.row_scale.resize(w.num_features);
  std::vector<uint32_t> idx;
  for (size_t f = 0; f < w.num_features; ++f) {
    const float* row = centred.data() + f * n_out;
    idx.clear();
    for (uint32_t o = 0; o < n_out; ++o) {
      if (std::fabs(row[o]) >= threshold && row[o] != 0.0f) idx.push_back(o);
    }
    if (idx.size() > max_per_row) {
      auto stronger = [row](uint32_t a, uint32_t b) {
        const float fa = std::fabs(row[a]), fb = std::fabs(row[b]);
        return fa != fb ? fa > fb : a < b;
      };
      std::nth_element(idx.begin(), idx.begin() + static_cast<ptrdiff_t>(max_per_row - 1),
                       idx.end(), stronger);
      idx.resize(max_per_row);
      std::sort(idx.begin(), idx.end());
    }
    float max_abs = 0;
    for (uint32_t o : idx) max_abs = std::max(max_abs, std::fabs(row[o]));
    const float scale = max_abs > 0 ? max_abs / 127.0f : 0.0f;
    out.row_scale[f] = scale;
    for (uint32_t o : idx) {
      const long q = std::lround(row[o] / scale);
      if (q == 0) continue;
      out.columns.push_back(o);
      out.values.push_back(static_cast<int8_t>(q));
    }
    out.row_offsets.push_back(static_cast<uint32_t>(out.columns.size()));
  }
  return out;
}

// Outputs for hierarchical sharing: one per label, then one group output per code-list ancestor
// of any label (in code-list order, so deterministic). A label's score sums its own output and
// the group outputs on its path up the tree — its own group too when the label is itself an
// ancestor of other labels (training data coded at mixed levels, e.g. reviewed records given a
// broad code). Returns the number of outputs.
size_t BuildOutputMap(const data::CodeList& codes, const std::vector<int32_t>& label_node,
                      OutputMap* map) {
  const size_t labels = label_node.size();
  std::vector<uint8_t> is_ancestor(codes.size(), 0);
  for (size_t c = 0; c < labels; ++c) {
    for (int32_t a = codes.node(label_node[c]).parent; a >= 0; a = codes.node(a).parent) {
      is_ancestor[static_cast<size_t>(a)] = 1;
    }
  }
  std::vector<int64_t> group_output(codes.size(), -1);
  size_t next = labels;
  for (size_t n = 0; n < codes.size(); ++n) {
    if (is_ancestor[n]) group_output[n] = static_cast<int64_t>(next++);
  }
  map->offsets.assign(1, 0);
  map->outputs.clear();
  for (size_t c = 0; c < labels; ++c) {
    map->outputs.push_back(static_cast<uint32_t>(c));
    for (int32_t n = label_node[c]; n >= 0; n = codes.node(n).parent) {
      const int64_t g = group_output[static_cast<size_t>(n)];
      if (g >= 0) map->outputs.push_back(static_cast<uint32_t>(g));
    }
    map->offsets.push_back(static_cast<uint32_t>(map->outputs.size()));
  }
  // Cannot fail: the paths come from a valid code list.
  SC_CHECK(map->Finalize(next).ok());
  return next;
}

struct Calibration {
  double temperature = 1.0;
  DecisionPolicy policy;
  nlohmann::json report = nlohmann::json::object();
};

// Fits temperature and thresholds on held-out examples scored by `linear`.
Calibration Calibrate(const SparseLinear& linear, const OutputMap& map,
                      const std::vector<std::string>& label_codes, const Examples& ex,
                      const std::vector<size_t>& holdout, const std::vector<int32_t>& label_node,
                      const data::CodeList* codes, double target_precision) {
  Calibration cal;
  cal.policy.target_precision = target_precision;
  const size_t c_count = label_codes.size();
  const size_t n = holdout.size();
  std::vector<float> logits(n * c_count);
  std::vector<int32_t> labels(n);
  std::vector<float> outputs;
  for (size_t r = 0; r < n; ++r) {
    const SparseVector x = ex.Get(holdout[r]);
    ComputeLogits(linear, map, x, &outputs, std::span<float>(logits.data() + r * c_count, c_count));
    labels[r] = ex.labels[holdout[r]];
  }
  cal.report["nll_before"] = NegativeLogLikelihood(logits, c_count, labels, 1.0);
  cal.temperature = FitTemperature(logits, c_count, labels);
  cal.report["nll_after"] = NegativeLogLikelihood(logits, c_count, labels, cal.temperature);
  cal.report["temperature"] = cal.temperature;

  // Thresholds for the target and the standard targets, from each record's decision evidence.
  std::vector<DecisionEvidence> evidence(n);
  std::vector<double> rolled;
  size_t hits = 0;
  for (size_t r = 0; r < n; ++r) {
    std::span<float> p(logits.data() + r * c_count, c_count);
    Softmax(p, cal.temperature);
    evidence[r] = ExtractEvidence(codes, label_node, p, &rolled);
    hits += evidence[r].top_label == labels[r];
  }
  DecisionPolicy rules;
  rules.target_precision = target_precision;
  FitOptions fit;
  fit.min_support = kMinThresholdSupport;
  cal.policy = FitPolicy(rules, label_codes, codes, label_node, evidence, labels, fit);
  cal.policy.chosen_on = "training_holdout";
  cal.policy.chosen_on_records = n;
  cal.report["holdout_records"] = n;
  cal.report["holdout_accuracy"] = n ? static_cast<double>(hits) / static_cast<double>(n) : 0.0;
  return cal;
}

// The temperature for a model refitted on all records, from the one fitted on the calibration
// model's held-out scores. The refitted model has seen more records (more SGD steps), so its
// scores are sharper and the held-out temperature would leave it overconfident. Both models
// trained on `shared` records, where they should be equally (over)confident; the refitted
// model's temperature is the one at which its mean top-1 confidence there equals the
// calibration model's at `temperature`. Mean top-1 confidence falls as T grows, so a bisection
// on log T finds it.
double TransferTemperature(const SparseLinear& calibration_model, const SparseLinear& final_model,
                           const OutputMap& map, size_t num_labels, const Examples& ex,
                           const std::vector<size_t>& shared, double temperature) {
  // A fixed, evenly spread sample: deterministic, and enough for a mean.
  constexpr size_t kSample = 2000;
  const size_t step = std::max<size_t>(1, shared.size() / kSample);
  std::vector<float> cal_logits, final_logits, outputs;
  size_t rows = 0;
  for (size_t k = 0; k < shared.size(); k += step, ++rows) {
    const SparseVector x = ex.Get(shared[k]);
    cal_logits.resize((rows + 1) * num_labels);
    final_logits.resize((rows + 1) * num_labels);
    ComputeLogits(calibration_model, map, x, &outputs,
                  std::span<float>(cal_logits.data() + rows * num_labels, num_labels));
    ComputeLogits(final_model, map, x, &outputs,
                  std::span<float>(final_logits.data() + rows * num_labels, num_labels));
  }
  if (rows == 0) return temperature;
  std::vector<float> p(num_labels);
  const auto mean_top = [&](const std::vector<float>& logits, double t) {
    double sum = 0;
    for (size_t r = 0; r < rows; ++r) {
      std::copy(logits.begin() + static_cast<ptrdiff_t>(r * num_labels),
                logits.begin() + static_cast<ptrdiff_t>((r + 1) * num_labels), p.begin());
      Softmax(p, t);
      sum += *std::max_element(p.begin(), p.end());
    }
    return sum / static_cast<double>(rows);
  };
  const double target = mean_top(cal_logits, temperature);
  double lo = std::log(0.01), hi = std::log(100.0);
  for (int it = 0; it < 40; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (mean_top(final_logits, std::exp(mid)) > target) {
      lo = mid;  // still more confident: needs a higher temperature
    } else {
      hi = mid;
    }
  }
  return std::exp(0.5 * (lo + hi));
}

}  // namespace

core::Status TrainOptions::Validate() const {
  RETURN_IF_ERROR(featurizer.Validate());
  auto bad = [](const std::string& what) { return core::InvalidArgument(what); };
  if (numeric_bins < 2 || numeric_bins > 100) return bad("--numeric-bins must be in 2..100");
  if (epochs < 1 || epochs > 1000) return bad("--epochs must be in 1..1000");
  if (!(learning_rate > 0 && learning_rate <= 10)) return bad("--lr must be in (0, 10]");
  if (min_feature_count < 1) return bad("--min-count must be at least 1");
  if (max_weights_per_feature < 1 || max_weights_per_feature > 65535) {
    return bad("--max-weights-per-feature must be in 1..65535");
  }
  if (mean_weights_per_feature < 1 || mean_weights_per_feature > 65535) {
    return bad("--mean-weights-per-feature must be in 1..65535");
  }
  if (!(holdout_fraction >= 0 && holdout_fraction <= 0.5)) {
    return bad("--holdout must be in [0, 0.5]");
  }
  if (!(target_precision > 0 && target_precision <= 1)) {
    return bad("--target-precision must be in (0, 1]");
  }
  if (threads < 1 || threads > 256) return bad("--threads must be in 1..256");
  if (refit_epochs < 0 || refit_epochs > 1000) return bad("--refit-epochs must be in 0..1000");
  if (optimizer != "sgd" && optimizer != "adagrad") {
    return bad("--optimizer must be 'sgd' or 'adagrad', got '" + optimizer + "'");
  }
  return core::Status::Ok();
}

nlohmann::json TrainOptions::ToJson() const {
  nlohmann::json j;
  j["numeric_bins"] = numeric_bins;
  j["epochs"] = epochs;
  j["hierarchical_sharing"] = hierarchical_sharing;
  j["optimizer"] = optimizer;
  j["learning_rate"] = learning_rate;
  j["min_feature_count"] = min_feature_count;
  j["max_weights_per_feature"] = max_weights_per_feature;
  j["mean_weights_per_feature"] = mean_weights_per_feature;
  j["holdout_fraction"] = holdout_fraction;
  j["target_precision"] = target_precision;
  j["refit"] = refit;
  j["refit_epochs"] = refit_epochs;
  j["seed"] = seed;
  j["mode"] = deterministic ? "deterministic" : "hogwild";
  if (!deterministic) j["threads"] = threads;
  return j;
}

core::Result<TrainOptions> TrainOptions::FromJson(const nlohmann::json& j,
                                                  const text::FeaturizerConfig& featurizer) {
  try {
    TrainOptions o;
    o.featurizer = featurizer;
    o.numeric_bins = j.at("numeric_bins").get<int>();
    o.epochs = j.at("epochs").get<int>();
    o.hierarchical_sharing = j.at("hierarchical_sharing").get<bool>();
    o.optimizer = j.at("optimizer").get<std::string>();
    o.learning_rate = j.at("learning_rate").get<double>();
    o.min_feature_count = j.at("min_feature_count").get<uint32_t>();
    o.max_weights_per_feature = j.at("max_weights_per_feature").get<uint32_t>();
    o.mean_weights_per_feature = j.at("mean_weights_per_feature").get<uint32_t>();
    o.holdout_fraction = j.at("holdout_fraction").get<double>();
    o.target_precision = j.at("target_precision").get<double>();
    o.refit = j.at("refit").get<bool>();
    o.refit_epochs = j.at("refit_epochs").get<int>();
    o.seed = j.at("seed").get<uint64_t>();
    o.deterministic = j.at("mode").get<std::string>() == "deterministic";
    o.threads = j.value("threads", 1);
    return o;
  } catch (const nlohmann::json::exception& e) {
    return core::DataLoss(std::string("training options in the model: ") + e.what());
  }
}

core::Result<ModelData> Train(const data::Dataset& dataset, const TrainOptions& options,
                              const data::CodeList* code_list,
                              const core::ProgressCallback& progress) {
  RETURN_IF_ERROR(options.Validate());
  const size_t n = dataset.records.size();
  if (n == 0) return core::InvalidInput("'" + dataset.path + "' has no usable training records");

  ModelData model;
  model.featurizer = options.featurizer;
  // Numeric bins are part of the featurizer and are learned from all training records.
  for (size_t k = 0; k < model.featurizer.numeric_fields.size(); ++k) {
    std::vector<double> values;
    values.reserve(n);
    for (const auto& r : dataset.records) values.push_back(r.numerics[k]);
    model.featurizer.numeric_fields[k] =
        text::LearnNumericBins(model.featurizer.numeric_fields[k].field, std::move(values),
                               options.numeric_bins);
  }
  ASSIGN_OR_RETURN(text::Featurizer featurizer, text::Featurizer::Create(model.featurizer));

  // Label dictionary: sorted codes, so label indices never depend on record order.
  std::map<std::string, int32_t> label_ids;
  for (const auto& r : dataset.records) {
    if (r.label.empty()) {
      return core::InvalidInput(dataset.path + ":" + std::to_string(r.line) +
                                ": empty label in training data");
    }
    label_ids.emplace(r.label, 0);
  }
  for (auto& [code, id] : label_ids) {
    id = static_cast<int32_t>(model.labels.size());
    model.labels.push_back(code);
  }
  if (code_list) model.code_list = *code_list;
  std::vector<int32_t> label_node(model.labels.size(), -1);
  if (code_list) {
    for (size_t c = 0; c < model.labels.size(); ++c) {
      label_node[c] = code_list->Find(model.labels[c]);
      if (label_node[c] < 0) {
        return core::InvalidInput("label '" + model.labels[c] + "' is not in the code list");
      }
    }
  }
  std::vector<int32_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = label_ids.at(dataset.records[i].label);

  if (progress) progress("featurize", 0, n);
  std::vector<std::vector<uint64_t>> features;
  RETURN_IF_ERROR(FeaturizeAll(featurizer, dataset, options.threads, &features));
  model.features = BuildFeatureIndex(features, options.min_feature_count);
  const Examples ex = Vectorize(model.features, features, labels);
  features.clear();
  features.shrink_to_fit();
  if (progress) progress("featurize", n, n);

  const size_t num_features = model.features.size();
  const size_t num_labels = model.labels.size();
  const size_t num_outputs =
      code_list && options.hierarchical_sharing
          ? BuildOutputMap(*code_list, label_node, &model.label_outputs)
          : num_labels;
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), size_t{0});

  // Held-out split for calibration.
  std::vector<size_t> shuffled = all;
  core::Random split_rng(core::DeriveSeed(options.seed, kHoldoutStream));
  split_rng.Shuffle(shuffled);
  const auto n_holdout = static_cast<size_t>(
      std::llround(options.holdout_fraction * static_cast<double>(n)));
  Calibration cal;
  const SgdSchedule full{options.epochs, options.learning_rate};
  // Kept for moving the temperature to the model refitted on all records.
  std::optional<SparseLinear> calibration_model;
  std::vector<size_t> calibration_fit;
  if (n_holdout >= kMinThresholdSupport && n_holdout < n) {
    std::vector<size_t> holdout(shuffled.begin(), shuffled.begin() + static_cast<ptrdiff_t>(n_holdout));
    std::vector<size_t> fit(shuffled.begin() + static_cast<ptrdiff_t>(n_holdout), shuffled.end());
    std::sort(holdout.begin(), holdout.end());
    std::sort(fit.begin(), fit.end());
    DenseLinear dense =
        RunSgd(ex, fit, num_features, num_outputs, num_labels, model.label_outputs, options,
               full, nullptr, kCalibrationSgdStream, progress, "train (calibration part)");
    const SparseLinear sparse = PruneAndQuantize(
        dense, num_labels, options.mean_weights_per_feature, options.max_weights_per_feature);
    cal = Calibrate(sparse, model.label_outputs, model.labels, ex, holdout, label_node, code_list,
                    options.target_precision);
    if (!options.refit) {
      model.linear = sparse;
    } else {
      calibration_model = sparse;
      calibration_fit = fit;
    }
    if (options.refit && options.refit_epochs > 0) {
      // Warm refit: continue the calibrated model on all records for a few passes at the rate
      // the first run had reached three quarters of the way through, instead of starting over.
      const SgdSchedule warm{options.refit_epochs, options.learning_rate * 0.25};
      const DenseLinear refitted =
          RunSgd(ex, all, num_features, num_outputs, num_labels, model.label_outputs, options,
                 warm, &dense, kFinalSgdStream, progress, "train (refit on all records)");
      model.linear = PruneAndQuantize(refitted, num_labels, options.mean_weights_per_feature,
                                      options.max_weights_per_feature);
    }
  } else {
    cal.report["skipped"] = "too few records for a held-out calibration part";
  }
  if (model.linear.row_offsets.empty()) {
    const DenseLinear dense =
        RunSgd(ex, all, num_features, num_outputs, num_labels, model.label_outputs, options, full,
               nullptr, kFinalSgdStream, progress, "train");
    model.linear = PruneAndQuantize(dense, num_labels, options.mean_weights_per_feature,
                                    options.max_weights_per_feature);
  }
  model.temperature = cal.temperature;
  if (calibration_model) {
    model.temperature =
        TransferTemperature(*calibration_model, model.linear, model.label_outputs, num_labels, ex,
                            calibration_fit, cal.temperature);
    cal.report["temperature_holdout_model"] = cal.temperature;
    cal.report["temperature"] = model.temperature;
    cal.report["temperature_transfer"] =
        "refitted model: mean top-1 confidence matched on shared training records";
  }
  model.policy = cal.policy;

  nlohmann::json& meta = model.metadata;
  meta["statcoder_version"] = core::kStatcoderVersion;
  meta["training_options"] = options.ToJson();
  meta["training_data"] = {{"path_name", dataset.path.substr(dataset.path.find_last_of('/') + 1)},
                           {"sha256", dataset.content_hash},
                           {"records", n},
                           {"rejected", dataset.rejections.size()}};
  meta["calibration"] = cal.report;
  meta["features"] = num_features;
  meta["stored_weights"] = model.linear.values.size();
  meta["outputs"] = num_outputs;
  if (code_list) meta["code_list_fingerprint"] = code_list->Fingerprint();
  return model;
}

}  // namespace statcoder::model
