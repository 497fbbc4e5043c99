#include "model/batch_coder.h"

#include <atomic>
#include <cmath>

#include "core/parallel.h"

namespace statcoder::model {

data::Schema SchemaFor(const Model& model, std::string id_field, std::string label_field) {
  const text::FeaturizerConfig& f = model.data().featurizer;
  data::Schema schema;
  schema.id_field = std::move(id_field);
  schema.text_fields = f.text_fields;
  schema.categorical_fields = f.categorical_fields;
  for (const auto& n : f.numeric_fields) schema.numeric_fields.push_back(n.field);
  schema.label_field = std::move(label_field);
  return schema;
}

core::Result<std::vector<Prediction>> PredictBatch(const std::shared_ptr<const Model>& model,
                                                   const data::Dataset& dataset, int top_k,
                                                   int threads,
                                                   const core::ProgressCallback& progress,
                                                   BatchEvidence* evidence) {
  const size_t n = dataset.records.size();
  std::vector<Prediction> out(n);
  if (evidence != nullptr) {
    evidence->evidence.assign(n, DecisionEvidence{});
    evidence->uncalibrated_confidence.assign(n, 0.0);
  }
  const double temperature = model->data().temperature;
  std::vector<core::Status> errors(static_cast<size_t>(std::max(threads, 1)));
  std::atomic<uint64_t> done{0};
  core::ParallelFor(n, threads, [&](size_t begin, size_t end, int worker) {
    Predictor predictor(model);
    std::vector<std::string_view> texts, cats;
    std::vector<double> rolled;
    for (size_t i = begin; i < end; ++i) {
      const data::Record& r = dataset.records[i];
      texts.assign(r.texts.begin(), r.texts.end());
      cats.assign(r.categoricals.begin(), r.categoricals.end());
      text::RecordView view{texts, cats, r.numerics};
      core::Status s = predictor.Predict(view, top_k, &out[i]);
      if (!s.ok()) {
        errors[static_cast<size_t>(worker)] =
            s.WithContext(dataset.path + ":" + std::to_string(r.line));
        return;
      }
      if (evidence != nullptr) {
        evidence->evidence[i] =
            ExtractEvidence(model->code_list(), model->label_nodes(), predictor.probabilities(),
                            model->data().level_calibration, &rolled);
        evidence->uncalibrated_confidence[i] = UncalibratedTopProbability(
            predictor.probabilities(), out[i].top[0].label, temperature);
      }
      if ((i - begin) % 4096 == 4095) {
        const uint64_t d = done.fetch_add(4096) + 4096;
        if (worker == 0 && progress) progress("code", d, n);
      }
    }
  });
  for (const auto& e : errors) RETURN_IF_ERROR(e);
  if (progress) progress("code", n, n);
  return out;
}

double UncalibratedTopProbability(std::span<const float> probabilities, int32_t top_label,
                                  double temperature) {
  // Scaled by the top probability first so p^T cannot underflow for the terms that matter.
  const double top = probabilities[static_cast<size_t>(top_label)];
  if (top <= 0) return 0;
  double sum = 0;
  for (const float p : probabilities) sum += std::pow(static_cast<double>(p) / top, temperature);
  return 1.0 / sum;
}

}  // namespace statcoder::model
