#include "model/trainer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <thread>
#include <unordered_map>

#include "core/check.h"
#include "core/parallel.h"
#include "core/random.h"
#include "core/spin_barrier.h"
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
constexpr uint64_t kTruthDrawStream = 4;

// Output-layer updates smaller than this (|p_c - y_c|) are skipped: they would move weights by
// less than float noise while costing a memory write per feature and label.
constexpr float kMinGradient = 1e-5f;

// known_depth of a calibration record whose code is known itself (not just its group).
constexpr int kKnownInFull = 1 << 30;

// Thresholds need enough held-out support to mean anything.
constexpr size_t kMinThresholdSupport = 10;

// Training examples as sparse TF-IDF vectors (CSR) with their label index.
struct Examples {
  std::vector<uint64_t> offsets{0};
  std::vector<uint32_t> rows;
  std::vector<float> values;
  std::vector<int32_t> labels;
  // Per example: empty = the label is certain; else (label, probability) pairs to fit.
  std::vector<std::vector<std::pair<int32_t, float>>> soft;
  bool em = false;  // soft entries are allowed codes with likelihood weights (SoftLabels::em)

  size_t size() const { return labels.size(); }
  bool certain(size_t i) const { return soft.empty() || soft[i].empty(); }
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

// Appends one training record per code-list title at the level most labels are coded at (the
// classification's own wording of each code: it reaches codes and words the records miss).
// The title goes in the first text field; the other fields are empty, numeric ones missing.
void AppendCodeListTitles(const data::CodeList& codes, data::Dataset* ds) {
  std::map<int, size_t> depth_count;
  for (const auto& r : ds->records) {
    const int32_t node = codes.Find(r.label);
    if (node >= 0) ++depth_count[codes.node(node).depth];
  }
  if (depth_count.empty()) return;
  int depth = 0;
  size_t most = 0;
  for (const auto& [d, count] : depth_count) {
    if (count > most) most = count, depth = d;
  }
  const size_t texts = ds->records.front().texts.size();
  const size_t cats = ds->records.front().categoricals.size();
  const size_t nums = ds->records.front().numerics.size();
  for (size_t i = 0; i < codes.size(); ++i) {
    const data::CodeNode& node = codes.node(static_cast<int32_t>(i));
    if (node.depth != depth || node.title.empty()) continue;
    data::Record r;
    r.line = 0;
    r.id = "codelist:" + node.code;
    r.texts.assign(texts, std::string());
    r.texts[0] = node.title;
    r.categoricals.assign(cats, std::string());
    r.numerics.assign(nums, std::numeric_limits<double>::quiet_NaN());
    r.label = node.code;
    ds->records.push_back(std::move(r));
  }
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
  std::vector<float> outputs, scores;
};

// One example's gradient (deterministic mode: computed against the weights as they were at the
// start of its mini-batch).
struct ExampleGradient {
  float lr = 0;
  std::vector<float> output_grad;  // dense over outputs: the bias update, AdaGrad's rows
  std::vector<uint32_t> active;    // outputs with |gradient| >= kMinGradient
};

// Forward pass of softmax regression on example i against `w` (read only): output scores,
// label scores (folded through the output map), gradient p - y on labels, then on outputs.
void ComputeGradient(const Examples& ex, size_t i, const OutputMap& map, const DenseLinear& w,
                     StepScratch* scratch, ExampleGradient* grad) {
  const size_t o_count = w.num_outputs;
  std::vector<float>& out = scratch->outputs;
  std::copy(w.bias.begin(), w.bias.end(), out.begin());
  for (uint64_t j = ex.offsets[i]; j < ex.offsets[i + 1]; ++j) {
    AddScaledRow(ex.values[j], w.weights.data() + static_cast<size_t>(ex.rows[j]) * o_count,
                 out.data(), o_count);
  }
  std::vector<float>& z = scratch->scores;
  map.Fold(out, z);
  Softmax(z, 1.0);
  if (ex.certain(i)) {
    z[static_cast<size_t>(ex.labels[i])] -= 1.0f;  // z is now the gradient p - y
  } else {
    const auto& targets = ex.soft[i];
    if (!ex.em) {
      for (const auto& [label, p] : targets) z[static_cast<size_t>(label)] -= p;
    } else {
      // E step: target = current probabilities on the allowed codes × their weights.
      float sum = 0;
      for (const auto& [label, weight] : targets) sum += weight * z[static_cast<size_t>(label)];
      if (sum > 0) {
        for (const auto& [label, weight] : targets) {
          const size_t l = static_cast<size_t>(label);
          z[l] -= weight * z[l] / sum;
        }
      } else {
        const float even = 1.0f / static_cast<float>(targets.size());
        for (const auto& [label, weight] : targets) z[static_cast<size_t>(label)] -= even;
      }
    }
  }
  grad->output_grad.resize(o_count);
  map.Unfold(z, grad->output_grad);
  grad->active.clear();
  for (size_t o = 0; o < o_count; ++o) {
    if (std::fabs(grad->output_grad[o]) >= kMinGradient) {
      grad->active.push_back(static_cast<uint32_t>(o));
    }
  }
}

// Applies example i's gradient to the weight rows r of its features with r % owners == owner,
// and, for owner 0, to the bias. One owner of all rows is a plain SGD step.
void ApplyGradient(const Examples& ex, size_t i, const ExampleGradient& g, bool adagrad,
                   size_t owner, size_t owners, DenseLinear* w) {
  const size_t o_count = w->num_outputs;
  for (uint64_t j = ex.offsets[i]; j < ex.offsets[i + 1]; ++j) {
    const size_t r = ex.rows[j];
    if (r % owners != owner) continue;
    float* row = w->weights.data() + r * o_count;
    if (adagrad) {
      AdagradUpdateRow(g.lr, ex.values[j], g.output_grad.data(), row,
                       w->accumulators.data() + r * o_count, o_count);
    } else {
      SgdUpdateRow(g.lr * ex.values[j], g.output_grad.data(), g.active, row);
    }
  }
  if (owner == 0) {
    for (size_t o = 0; o < o_count; ++o) w->bias[o] -= g.lr * g.output_grad[o];
  }
}

// Passes and initial learning rate of one SGD run (the rate decays linearly to 0).
struct SgdSchedule {
  int epochs = 0;
  double learning_rate = 0;
};

// The weights an SGD run starts from: `start` when given (warm start), else zeros.
DenseLinear InitialWeights(size_t num_features, size_t num_outputs, bool adagrad,
                           DenseLinear* start) {
  if (start != nullptr) return std::move(*start);
  DenseLinear w;
  w.num_features = num_features;
  w.num_outputs = num_outputs;
  w.weights.assign(num_features * num_outputs, 0.0f);
  w.bias.assign(num_outputs, 0.0f);
  if (adagrad) w.accumulators.assign(num_features * num_outputs, 0.0f);
  return w;
}

// Learning rate at step t of `total` (linear decay to 0). Shared by both modes so that a
// mini-batch of 1 is exactly sequential SGD.
float StepRate(const SgdSchedule& schedule, double t, double total) {
  return static_cast<float>(schedule.learning_rate * std::max(0.0, 1.0 - t / total));
}

// Deterministic data-parallel SGD. Each epoch's seeded order is cut into mini-batches of a
// fixed size (an option, not the thread count). Within a batch, every example's gradient is
// computed against the weights at the start of the batch (in parallel: the expensive forward
// pass), then the updates are applied in the batch's order, each thread owning the weight rows
// whose index is its own modulo the thread count. Every weight thus receives the same updates
// in the same order, with the same values, whatever the number of threads: the model is
// byte-identical for any `threads`. A batch of 1 is plain sequential SGD.
void RunDeterministicSgd(const Examples& ex, const std::vector<size_t>& subset,
                         const OutputMap& map, size_t num_labels, const TrainOptions& options,
                         SgdSchedule schedule, uint64_t stream, DenseLinear* w,
                         const core::ProgressCallback& progress, std::string_view stage) {
  const bool adagrad = options.optimizer == "adagrad";
  const size_t n = subset.size();
  const size_t batch = static_cast<size_t>(std::max(1, options.minibatch));
  const size_t threads =
      std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(options.threads), batch));
  const size_t o_count = w->num_outputs;
  const double total = static_cast<double>(schedule.epochs) * static_cast<double>(n);
  // Each epoch's order is drawn by thread 0 from one seeded stream, as sequential SGD draws it.
  core::Random rng(core::DeriveSeed(options.seed, stream));
  std::vector<size_t> ord = subset;
  std::vector<ExampleGradient> grads(batch);
  core::SpinBarrier sync(threads);
  auto worker = [&](size_t t) {
    StepScratch scratch{std::vector<float>(o_count), std::vector<float>(num_labels)};
    for (size_t epoch = 0; epoch < static_cast<size_t>(schedule.epochs); ++epoch) {
      if (t == 0) rng.Shuffle(ord);
      sync.ArriveAndWait();
      const double epoch_base = static_cast<double>(epoch) * static_cast<double>(n);
      for (size_t b = 0; b < n; b += batch) {
        const size_t size = std::min(batch, n - b);
        // Phase 1: gradients of the batch's examples, a contiguous share per thread.
        const size_t chunk = (size + threads - 1) / threads;
        for (size_t k = t * chunk; k < std::min(size, (t + 1) * chunk); ++k) {
          ComputeGradient(ex, ord[b + k], map, *w, &scratch, &grads[k]);
          grads[k].lr = StepRate(schedule, epoch_base + static_cast<double>(b + k), total);
        }
        sync.ArriveAndWait();
        // Phase 2: updates in batch order; thread t owns rows r with r % threads == t.
        for (size_t k = 0; k < size; ++k) {
          ApplyGradient(ex, ord[b + k], grads[k], adagrad, t, threads, w);
        }
        if (t == 0 && progress && (b / batch) % 16 == 0) {
          progress(stage, static_cast<uint64_t>(epoch_base) + b, static_cast<uint64_t>(total));
        }
        sync.ArriveAndWait();
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& th : pool) th.join();
}

// Hogwild SGD (the optional fast mode): the epoch's shuffled order is split between threads
// that update the shared weights without locks. Sparse updates rarely collide, and the rare
// lost update does not hurt accuracy, but the result depends on timing.
void RunHogwildSgd(const Examples& ex, const std::vector<size_t>& subset, const OutputMap& map,
                   size_t num_labels, const TrainOptions& options, SgdSchedule schedule,
                   uint64_t stream, DenseLinear* w, const core::ProgressCallback& progress,
                   std::string_view stage) {
  const bool adagrad = options.optimizer == "adagrad";
  const size_t num_outputs = w->num_outputs;
  const int threads = std::max(1, options.threads);
  core::Random rng(core::DeriveSeed(options.seed, stream));
  std::vector<size_t> order = subset;
  const double total = static_cast<double>(schedule.epochs) * static_cast<double>(subset.size());
  for (int epoch = 0; epoch < schedule.epochs; ++epoch) {
    rng.Shuffle(order);
    core::ParallelFor(order.size(), threads, [&](size_t begin, size_t end, int worker) {
      StepScratch scratch{std::vector<float>(num_outputs), std::vector<float>(num_labels)};
      ExampleGradient grad;
      const uint64_t epoch_base = static_cast<uint64_t>(epoch) * order.size();
      for (size_t k = begin; k < end; ++k) {
        // Progress through training as if threads advanced in step, so the schedule does not
        // depend on timing.
        const double t = static_cast<double>(epoch_base + (k - begin) * static_cast<size_t>(threads));
        ComputeGradient(ex, order[k], map, *w, &scratch, &grad);
        grad.lr = StepRate(schedule, t, total);
        ApplyGradient(ex, order[k], grad, adagrad, 0, 1, w);
        if (worker == 0 && progress && (k - begin) % 1024 == 0) {
          progress(stage, epoch_base + (k - begin) * static_cast<size_t>(threads),
                   static_cast<uint64_t>(total));
        }
      }
    });
  }
}

// SGD over `subset` of the examples, from zero weights or, when `start` is given, from those
// (warm start), in the mode the options name.
DenseLinear RunSgd(const Examples& ex, const std::vector<size_t>& subset, size_t num_features,
                   size_t num_outputs, size_t num_labels, const OutputMap& map,
                   const TrainOptions& options, SgdSchedule schedule, DenseLinear* start,
                   uint64_t stream, const core::ProgressCallback& progress,
                   std::string_view stage) {
  DenseLinear w =
      InitialWeights(num_features, num_outputs, options.optimizer == "adagrad", start);
  if (options.deterministic) {
    RunDeterministicSgd(ex, subset, map, num_labels, options, schedule, stream, &w, progress,
                        stage);
  } else {
    RunHogwildSgd(ex, subset, map, num_labels, options, schedule, stream, &w, progress, stage);
  }
  const auto total = static_cast<uint64_t>(schedule.epochs) * subset.size();
  if (progress) progress(stage, total, total);
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
  std::vector<LevelCalibration> level_calibration;
  DecisionPolicy policy;
  nlohmann::json report = nlohmann::json::object();
};

// Fits temperature and thresholds on held-out examples scored by `linear`.
// Writes the logits `linear` gives each of `rows` into row r of *logits (rows × labels).
void ScoreRows(const SparseLinear& linear, const OutputMap& map, size_t num_labels,
               const Examples& ex, const std::vector<size_t>& rows, size_t first_row,
               std::vector<float>* logits) {
  std::vector<float> outputs;
  for (size_t r = 0; r < rows.size(); ++r) {
    ComputeLogits(linear, map, ex.Get(rows[r]), &outputs,
                  std::span<float>(logits->data() + (first_row + r) * num_labels, num_labels));
  }
}

// One map per level strictly above every code (there the probability is a sum of calibrated
// code probabilities), fitted on the out-of-sample evidence, which is then mapped in place so
// the thresholds are chosen on the confidences the model will state.
std::vector<LevelCalibration> FitLevelCalibrations(const data::CodeList& codes,
                                                   const std::vector<int32_t>& label_node,
                                                   const std::vector<int32_t>& labels,
                                                   const std::vector<int>& known_depth,
                                                   std::vector<DecisionEvidence>* evidence) {
  int coarse_depths = codes.max_depth();
  for (const int32_t node : label_node) {
    if (node >= 0) coarse_depths = std::min(coarse_depths, codes.node(node).depth - 1);
  }
  std::vector<LevelCalibration> maps(static_cast<size_t>(std::max(coarse_depths, 0)));
  std::vector<double> confidence;
  std::vector<uint8_t> correct;
  for (size_t d = 0; d < maps.size(); ++d) {
    confidence.clear();
    correct.clear();
    for (size_t r = 0; r < evidence->size() && r < labels.size(); ++r) {
      const DecisionEvidence& e = (*evidence)[r];
      if (d >= e.levels.size() || e.levels[d].node < 0 || labels[r] < 0 ||
          known_depth[r] < static_cast<int>(d) + 1) {
        continue;
      }
      const int32_t truth = label_node[static_cast<size_t>(labels[r])];
      if (truth < 0) continue;
      confidence.push_back(e.levels[d].probability);
      correct.push_back(codes.AncestorAtDepth(truth, static_cast<int>(d) + 1) == e.levels[d].node);
    }
    maps[d] = FitLevelCalibration(confidence, correct);
  }
  for (DecisionEvidence& e : *evidence) CalibrateLevels(codes, maps, &e.levels);
  return maps;
}

// Fits temperature and thresholds on out-of-sample logits (rows × labels) of records whose
// true labels are `labels`, known down to `known_depth` (kKnownInFull: the code itself; else
// the deepest group all the record's possible codes share). The temperature uses the records
// known in full; each level's probability map also those known down to it. The thresholds are
// chosen against the known code or, for a record whose code is not known (`possible[r]`: its
// possible codes with their prior weights), against one drawn (seeded by `draw_seeds[r]`) by
// those weights: such a record counts as correct as often as chance alone would make it, so a
// model that reads the text better than that is certified conservatively, and no record is
// left out, since new records will resemble them. (Drawing from the held-out model's own
// posterior instead, prior x probability, missed the target on one of three SOC splits:
// 0.935 for 0.95, docs/crosswalks.md.)
Calibration Calibrate(std::vector<float> logits, const std::vector<int32_t>& labels,
                      const std::vector<int>& known_depth,
                      const std::vector<const std::vector<std::pair<int32_t, float>>*>& possible,
                      const std::vector<uint64_t>& draw_seeds,
                      const std::vector<std::string>& label_codes,
                      const std::vector<int32_t>& label_node, const data::CodeList* codes,
                      double target_precision, double risk) {
  Calibration cal;
  cal.policy.target_precision = target_precision;
  const size_t c_count = label_codes.size();
  const size_t n = labels.size();
  // The temperature is fitted on the records known in full: all of them in plain training (no
  // copy), only those in training through a crosswalk.
  const bool all_known = std::all_of(known_depth.begin(), known_depth.end(),
                                     [](int d) { return d == kKnownInFull; });
  std::vector<float> known_logits;
  std::vector<int32_t> known_labels;
  size_t partly_known = 0;
  if (!all_known) {
    for (size_t r = 0; r < n; ++r) {
      if (known_depth[r] != kKnownInFull) {
        partly_known += known_depth[r] >= 1;
        continue;
      }
      known_logits.insert(known_logits.end(),
                          logits.begin() + static_cast<ptrdiff_t>(r * c_count),
                          logits.begin() + static_cast<ptrdiff_t>((r + 1) * c_count));
      known_labels.push_back(labels[r]);
    }
  }
  const std::span<const float> fit_logits = all_known ? std::span<const float>(logits)
                                                      : std::span<const float>(known_logits);
  const std::span<const int32_t> fit_labels = all_known ? std::span<const int32_t>(labels)
                                                        : std::span<const int32_t>(known_labels);
  const size_t n_known = fit_labels.size();
  cal.report["nll_before"] = NegativeLogLikelihood(fit_logits, c_count, fit_labels, 1.0);
  cal.temperature = FitTemperature(fit_logits, c_count, fit_labels);
  cal.report["nll_after"] = NegativeLogLikelihood(fit_logits, c_count, fit_labels, cal.temperature);
  cal.report["temperature"] = cal.temperature;

  // Thresholds for the target and the standard targets, from each record's decision evidence.
  std::vector<DecisionEvidence> evidence(n);
  std::vector<int32_t> policy_labels = labels;
  std::vector<double> rolled;
  size_t hits = 0;
  for (size_t r = 0; r < n; ++r) {
    std::span<float> p(logits.data() + r * c_count, c_count);
    Softmax(p, cal.temperature);
    if (possible[r] != nullptr) {
      double total = 0;
      for (const auto& [label, w] : *possible[r]) total += w;
      core::Random rng(draw_seeds[r]);
      double u = rng.UniformDouble() * total;
      policy_labels[r] = possible[r]->back().first;
      for (const auto& [label, w] : *possible[r]) {
        if ((u -= w) < 0) {
          policy_labels[r] = label;
          break;
        }
      }
    }
    evidence[r] = ExtractEvidence(codes, label_node, p, {}, &rolled);
    hits += known_depth[r] == kKnownInFull && evidence[r].top_label == labels[r];
  }
  if (codes != nullptr) {
    cal.level_calibration = FitLevelCalibrations(*codes, label_node, labels, known_depth, &evidence);
    nlohmann::json levels = nlohmann::json::array();
    for (size_t d = 0; d < cal.level_calibration.size(); ++d) {
      levels.push_back({{"depth", d + 1},
                        {"slope", cal.level_calibration[d].slope},
                        {"offset", cal.level_calibration[d].offset}});
    }
    cal.report["level_calibration"] = levels;
  }
  DecisionPolicy rules;
  rules.target_precision = target_precision;
  FitOptions fit;
  fit.min_support = kMinThresholdSupport;
  fit.risk = risk;
  cal.policy = FitPolicy(rules, label_codes, codes, label_node, evidence, policy_labels, fit);
  cal.policy.method = "learn_then_test";
  cal.policy.risk = risk;
  cal.policy.chosen_on = "training_holdout";
  cal.policy.chosen_on_records = n;
  cal.report["holdout_records"] = n_known;
  if (n_known < n) cal.report["holdout_records_known_to_a_group"] = partly_known;
  cal.report["holdout_accuracy"] =
      n_known ? static_cast<double>(hits) / static_cast<double>(n_known) : 0.0;
  return cal;
}

// Top-1 accuracy of `linear` on the held-out examples whose label is certain.
double HoldoutAccuracy(const SparseLinear& linear, const OutputMap& map, size_t num_labels,
                       const Examples& ex, const std::vector<size_t>& holdout) {
  if (holdout.empty()) return 0;
  std::vector<float> logits(num_labels), outputs;
  size_t hits = 0, scored = 0;
  for (size_t i : holdout) {
    if (!ex.certain(i)) continue;  // its truth is not known
    ComputeLogits(linear, map, ex.Get(i), &outputs, logits);
    const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
    hits += best == ex.labels[i];
    ++scored;
  }
  return scored ? static_cast<double>(hits) / static_cast<double>(scored) : 0.0;
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

core::Result<ModelData> Train(const data::Dataset& input, const TrainOptions& options,
                              const data::CodeList* code_list,
                              const core::ProgressCallback& progress,
                              const SoftLabels* soft_labels) {
  RETURN_IF_ERROR(options.Validate());
  const size_t n_records = input.records.size();
  if (n_records == 0) {
    return core::InvalidInput("'" + input.path + "' has no usable training records");
  }
  // The records, then (codelist_titles) one record per code-list title at the labels' level.
  data::Dataset augmented;
  if (code_list != nullptr && options.codelist_titles) {
    augmented = input;
    AppendCodeListTitles(*code_list, &augmented);
  }
  const data::Dataset& dataset = augmented.records.empty() ? input : augmented;
  const size_t n = dataset.records.size();
  const size_t n_titles = n - n_records;

  ModelData model;
  model.featurizer = options.featurizer;
  // Numeric bins are part of the featurizer and are learned from all training records.
  for (size_t k = 0; k < model.featurizer.numeric_fields.size(); ++k) {
    std::vector<double> values;
    values.reserve(n_records);
    for (const auto& r : input.records) values.push_back(r.numerics[k]);
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
  size_t n_soft = 0;
  if (soft_labels != nullptr) {
    if (soft_labels->by_record.size() > n_records) {
      return core::InvalidArgument("soft labels for " +
                                   std::to_string(soft_labels->by_record.size()) +
                                   " records, but the data has " + std::to_string(n_records));
    }
    for (size_t i = 0; i < soft_labels->by_record.size(); ++i) {
      const auto& targets = soft_labels->by_record[i];
      if (targets.empty()) continue;
      ++n_soft;
      double sum = 0;
      bool has_own = false;
      for (const auto& [code, p] : targets) {
        if (code.empty() || !std::isfinite(p) || p < 0) {
          return core::InvalidArgument(dataset.path + ":" +
                                       std::to_string(dataset.records[i].line) +
                                       ": soft label '" + code + "' has no code or a bad "
                                       "probability");
        }
        label_ids.emplace(code, 0);
        sum += p;
        has_own = has_own || code == dataset.records[i].label;
      }
      if ((!soft_labels->em && std::fabs(sum - 1.0) > 1e-6) || !(sum > 0) || !has_own) {
        return core::InvalidArgument(
            dataset.path + ":" + std::to_string(dataset.records[i].line) +
            ": soft labels must sum to 1 (weights to more than 0 with em) and include the "
            "record's label '" +
            dataset.records[i].label + "'");
      }
    }
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
  // Per record: its soft labels as label indices (empty: certain).
  std::vector<std::vector<std::pair<int32_t, float>>> soft;
  if (n_soft > 0) {
    soft.resize(n);
    for (size_t i = 0; i < soft_labels->by_record.size(); ++i) {
      for (const auto& [code, p] : soft_labels->by_record[i]) {
        soft[i].emplace_back(label_ids.at(code), static_cast<float>(p));
      }
    }
  }

  const size_t num_labels = model.labels.size();
  const size_t num_outputs =
      code_list && options.hierarchical_sharing
          ? BuildOutputMap(*code_list, label_node, &model.label_outputs)
          : num_labels;
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), size_t{0});

  // Held-out split for calibration, among the records only: code-list titles are not the
  // kind of record the model will code, so they always train.
  std::vector<size_t> shuffled(all.begin(), all.begin() + static_cast<ptrdiff_t>(n_records));
  core::Random split_rng(core::DeriveSeed(options.seed, kHoldoutStream));
  split_rng.Shuffle(shuffled);
  for (size_t i = n_records; i < n; ++i) shuffled.push_back(i);
  const auto n_holdout = static_cast<size_t>(
      std::llround(options.holdout_fraction * static_cast<double>(n_records)));
  const bool has_holdout = n_holdout >= kMinThresholdSupport && n_holdout < n_records;
  std::vector<size_t> holdout, fit;
  if (has_holdout) {
    holdout.assign(shuffled.begin(), shuffled.begin() + static_cast<ptrdiff_t>(n_holdout));
    fit.assign(shuffled.begin() + static_cast<ptrdiff_t>(n_holdout), shuffled.end());
    std::sort(holdout.begin(), holdout.end());
    std::sort(fit.begin(), fit.end());
  }

  nlohmann::json sharing_report;
  if (options.choose_text_field_sharing && !model.featurizer.share_text_fields &&
      model.featurizer.text_fields.size() > 1 && has_holdout) {
    // Whether a word means the same in every text field depends on the data (ONS SOC's
    // qualifiers reuse title words; other schemas hold unrelated fields): compare both on the
    // held-out part with short runs and keep the better.
    const SgdSchedule quick{std::max(3, options.epochs / 4), options.learning_rate};
    double accuracy[2] = {0, 0};
    for (int shared = 0; shared < 2; ++shared) {
      text::FeaturizerConfig config = model.featurizer;
      config.share_text_fields = shared == 1;
      ASSIGN_OR_RETURN(text::Featurizer variant, text::Featurizer::Create(config));
      std::vector<std::vector<uint64_t>> variant_features;
      RETURN_IF_ERROR(FeaturizeAll(variant, dataset, options.threads, &variant_features));
      const FeatureIndex index = BuildFeatureIndex(variant_features, options.min_feature_count);
      Examples variant_ex = Vectorize(index, variant_features, labels);
      variant_ex.soft = soft;
      variant_ex.em = soft_labels != nullptr && soft_labels->em;
      const DenseLinear dense =
          RunSgd(variant_ex, fit, index.size(), num_outputs, num_labels, model.label_outputs,
                 options, quick, nullptr, kCalibrationSgdStream, progress,
                 shared ? "choose text-field sharing (shared)"
                        : "choose text-field sharing (per field)");
      accuracy[shared] = HoldoutAccuracy(
          PruneAndQuantize(dense, num_labels, options.mean_weights_per_feature,
                           options.max_weights_per_feature),
          model.label_outputs, num_labels, variant_ex, holdout);
    }
    // Ties keep the per-field features (the documented default of the featurizer).
    model.featurizer.share_text_fields = accuracy[1] > accuracy[0];
    sharing_report = {{"chosen", model.featurizer.share_text_fields ? "shared" : "per_field"},
                      {"holdout_accuracy", {{"per_field", accuracy[0]}, {"shared", accuracy[1]}}},
                      {"epochs", quick.epochs}};
    ASSIGN_OR_RETURN(featurizer, text::Featurizer::Create(model.featurizer));
  }

  if (progress) progress("featurize", 0, n);
  std::vector<std::vector<uint64_t>> features;
  RETURN_IF_ERROR(FeaturizeAll(featurizer, dataset, options.threads, &features));
  model.features = BuildFeatureIndex(features, options.min_feature_count);
  Examples ex = Vectorize(model.features, features, labels);
  ex.soft = std::move(soft);
  ex.em = soft_labels != nullptr && soft_labels->em;
  // What calibration scores record i against: its label, known in full; for a record with
  // soft labels, one of its codes, known down to the deepest group all its codes share (0:
  // none, or no code list), so it counts only at the levels where its truth is known.
  const auto truth_label = [&](size_t i) {
    return ex.certain(i) ? ex.labels[i] : ex.soft[i].front().first;
  };
  const auto truth_depth = [&](size_t i) {
    if (ex.certain(i)) return kKnownInFull;
    if (code_list == nullptr) return 0;
    const auto& targets = ex.soft[i];
    int depth = code_list->max_depth();
    for (const auto& [label, p] : targets) {
      depth = std::min(depth, code_list->node(label_node[static_cast<size_t>(label)]).depth);
    }
    for (; depth >= 1; --depth) {
      const int32_t group =
          code_list->AncestorAtDepth(label_node[static_cast<size_t>(targets.front().first)], depth);
      bool shared = true;
      for (const auto& [label, p] : targets) {
        shared = shared && code_list->AncestorAtDepth(label_node[static_cast<size_t>(label)],
                                                      depth) == group;
      }
      if (shared) break;
    }
    return depth;
  };
  // For calibration: record i's possible codes (nullptr when certain), and the seed of the
  // draw among them (per record, so the same whatever the fold or thread).
  const auto possible_codes = [&](size_t i) {
    return ex.certain(i) ? nullptr : &ex.soft[i];
  };
  const auto draw_seed = [&](size_t i) {
    return core::DeriveSeed(core::DeriveSeed(options.seed, kTruthDrawStream), i);
  };
  features.clear();
  features.shrink_to_fit();
  if (progress) progress("featurize", n, n);
  const size_t num_features = model.features.size();

  Calibration cal;
  const SgdSchedule full{options.epochs, options.learning_rate};
  // Kept for moving the temperature to the model refitted on all records.
  std::optional<SparseLinear> calibration_model;
  std::vector<size_t> calibration_fit;
  // Cross-fitting needs as many records as a held-out part would (fewer: no calibration).
  const bool cross_fit = options.refit && options.calibration_folds >= 2 && has_holdout;
  if (cross_fit) {
    // Cross-fitting: the records are cut into k folds (the seeded shuffle, in k contiguous
    // parts); a model trained on the other folds (and the code-list titles) scores each fold,
    // so every record gets an out-of-sample score and calibration sees all of them, not a
    // tenth. The first fold's model is kept to move the temperature to the final model.
    const auto k = static_cast<size_t>(options.calibration_folds);
    std::vector<float> logits(n_records * num_labels);
    std::vector<int32_t> scored_labels;
    std::vector<int> scored_depth;
    std::vector<const std::vector<std::pair<int32_t, float>>*> scored_possible;
    std::vector<uint64_t> scored_seeds;
    scored_labels.reserve(n_records);
    for (size_t fold = 0; fold < k; ++fold) {
      const size_t begin = fold * n_records / k, end = (fold + 1) * n_records / k;
      std::vector<size_t> rows(shuffled.begin() + static_cast<ptrdiff_t>(begin),
                               shuffled.begin() + static_cast<ptrdiff_t>(end));
      std::vector<size_t> rest(shuffled.begin(), shuffled.begin() + static_cast<ptrdiff_t>(begin));
      rest.insert(rest.end(), shuffled.begin() + static_cast<ptrdiff_t>(end), shuffled.end());
      std::sort(rows.begin(), rows.end());
      std::sort(rest.begin(), rest.end());
      const DenseLinear dense = RunSgd(
          ex, rest, num_features, num_outputs, num_labels, model.label_outputs, options, full,
          nullptr, core::DeriveSeed(kCalibrationSgdStream, fold), progress,
          "train (calibration fold " + std::to_string(fold + 1) + " of " + std::to_string(k) +
              ")");
      SparseLinear sparse = PruneAndQuantize(dense, num_labels, options.mean_weights_per_feature,
                                             options.max_weights_per_feature);
      ScoreRows(sparse, model.label_outputs, num_labels, ex, rows, begin, &logits);
      for (size_t i : rows) {
        scored_labels.push_back(truth_label(i));
        scored_depth.push_back(truth_depth(i));
        scored_possible.push_back(possible_codes(i));
        scored_seeds.push_back(draw_seed(i));
      }
      if (fold == 0) {
        calibration_model = std::move(sparse);
        calibration_fit = std::move(rest);
      }
    }
    cal = Calibrate(std::move(logits), scored_labels, scored_depth, scored_possible, scored_seeds,
                    model.labels,
                    label_node, code_list,
                    options.target_precision, options.risk);
    cal.report["cross_fitting_folds"] = k;
  } else if (has_holdout) {
    DenseLinear dense =
        RunSgd(ex, fit, num_features, num_outputs, num_labels, model.label_outputs, options,
               full, nullptr, kCalibrationSgdStream, progress, "train (calibration part)");
    const SparseLinear sparse = PruneAndQuantize(
        dense, num_labels, options.mean_weights_per_feature, options.max_weights_per_feature);
    std::vector<float> logits(holdout.size() * num_labels);
    ScoreRows(sparse, model.label_outputs, num_labels, ex, holdout, 0, &logits);
    std::vector<int32_t> holdout_labels;
    std::vector<int> holdout_depth;
    std::vector<const std::vector<std::pair<int32_t, float>>*> holdout_possible;
    std::vector<uint64_t> holdout_seeds;
    for (size_t i : holdout) {
      holdout_labels.push_back(truth_label(i));
      holdout_depth.push_back(truth_depth(i));
      holdout_possible.push_back(possible_codes(i));
      holdout_seeds.push_back(draw_seed(i));
    }
    cal = Calibrate(std::move(logits), holdout_labels, holdout_depth, holdout_possible,
                    holdout_seeds, model.labels,
                    label_node, code_list,
                    options.target_precision, options.risk);
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
  model.level_calibration = cal.level_calibration;
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
                           {"records", n_records},
                           {"rejected", dataset.rejections.size()}};
  if (n_titles > 0) meta["training_data"]["codelist_title_records"] = n_titles;
  if (n_soft > 0) meta["training_data"]["soft_label_records"] = n_soft;
  meta["calibration"] = cal.report;
  if (!sharing_report.is_null()) meta["text_field_sharing"] = sharing_report;
  meta["features"] = num_features;
  meta["stored_weights"] = model.linear.values.size();
  meta["outputs"] = num_outputs;
  if (code_list) meta["code_list_fingerprint"] = code_list->Fingerprint();
  return model;
}

}  // namespace statcoder::model
