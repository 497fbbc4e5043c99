#include "model/crosswalk_training.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/parallel.h"
#include "model/predictor.h"
#include "model/trainer.h"

namespace statcoder::model {
namespace {

// A record whose posterior gives one code at least this much is counted as resolved.
constexpr double kResolvedPosterior = 0.9;

std::vector<std::string_view> Views(const std::vector<std::string>& v) {
  return std::vector<std::string_view>(v.begin(), v.end());
}

}  // namespace

size_t DropUnmappedRecords(const data::Crosswalk& crosswalk, const std::string& label_field,
                           data::Dataset* dataset) {
  const std::string table = crosswalk.source().empty() ? "the crosswalk"
                                                       : "the crosswalk '" + crosswalk.source() + "'";
  size_t moved = 0;
  std::vector<data::Record> kept;
  kept.reserve(dataset->records.size());
  for (data::Record& r : dataset->records) {
    if (!crosswalk.TargetsOf(r.label).empty()) {
      kept.push_back(std::move(r));
      continue;
    }
    data::Rejection rej;
    rej.line = r.line;
    rej.column = label_field;
    rej.reason = dataset->path + ":" + std::to_string(r.line) + ": column '" + label_field +
                 "': code '" + r.label + "' has no row in " + table +
                 ", so the record has no code in '" + crosswalk.to_name() + "'";
    rej.raw = r.id + "\t" + r.label;
    dataset->rejections.push_back(std::move(rej));
    ++moved;
  }
  dataset->records = std::move(kept);
  std::stable_sort(dataset->rejections.begin(), dataset->rejections.end(),
                   [](const data::Rejection& a, const data::Rejection& b) { return a.line < b.line; });
  return moved;
}

core::Result<ModelData> TrainThroughCrosswalk(const data::Dataset& old_coded,
                                              const data::Crosswalk& crosswalk,
                                              const TrainOptions& options,
                                              const data::CodeList* new_codes, size_t dropped,
                                              const core::ProgressCallback& progress) {
  RETURN_IF_ERROR(options.Validate());
  if (old_coded.records.empty()) {
    return core::InvalidInput("'" + old_coded.path + "' has no record whose code is in the "
                              "crosswalk");
  }
  if (new_codes != nullptr) {
    for (const data::CrosswalkPair& p : crosswalk.pairs()) {
      if (new_codes->Find(p.to) < 0) {
        return core::InvalidInput("crosswalk " + crosswalk.source() + ": code '" + p.to +
                                  "' is not in the code list '" + new_codes->source() + "'");
      }
    }
  }
  const size_t n = old_coded.records.size();
  // The new-version dataset: each record carries its sole target, or (split codes) the most
  // likely target a priori, with every allowed target as an EM soft label.
  data::Dataset relabelled = old_coded;
  SoftLabels soft;
  soft.em = true;
  soft.by_record.resize(n);
  std::vector<size_t> split;
  for (size_t i = 0; i < n; ++i) {
    const auto targets = crosswalk.TargetsOf(old_coded.records[i].label);
    if (targets.empty()) {  // the caller skipped DropUnmappedRecords
      return core::InvalidArgument(old_coded.path + ":" +
                                   std::to_string(old_coded.records[i].line) + ": code '" +
                                   old_coded.records[i].label + "' has no row in the crosswalk");
    }
    relabelled.records[i].label =
        std::max_element(targets.begin(), targets.end(),
                         [](const auto& a, const auto& b) { return a.share < b.share; })
            ->code;
    if (targets.size() == 1) continue;
    split.push_back(i);
    for (const data::CrosswalkTarget& t : targets) soft.by_record[i].emplace_back(t.code, t.share);
  }
  ASSIGN_OR_RETURN(ModelData model, Train(relabelled, options, new_codes, progress, &soft));

  // How far the text settled each split record: the final model's posterior over its allowed
  // codes (prior share x probability). In-sample, so an upper bound on how settled they are.
  size_t resolved = 0;
  if (!split.empty()) {
    ModelData copy = model;
    ASSIGN_OR_RETURN(std::shared_ptr<const Model> trained, Model::Create(std::move(copy)));
    std::vector<uint8_t> is_resolved(split.size(), 0);
    std::vector<core::Status> errors(static_cast<size_t>(std::max(options.threads, 1)));
    core::ParallelFor(split.size(), options.threads, [&](size_t begin, size_t end, int worker) {
      Predictor predictor(trained);
      Prediction prediction;
      for (size_t k = begin; k < end; ++k) {
        const data::Record& r = old_coded.records[split[k]];
        const auto texts = Views(r.texts);
        const auto cats = Views(r.categoricals);
        const core::Status s =
            predictor.Predict(text::RecordView{texts, cats, r.numerics}, 1, &prediction);
        if (!s.ok()) {
          errors[static_cast<size_t>(worker)] =
              s.WithContext(old_coded.path + ":" + std::to_string(r.line));
          return;
        }
        const auto probabilities = predictor.probabilities();
        double sum = 0, best = 0;
        for (const data::CrosswalkTarget& t : crosswalk.TargetsOf(r.label)) {
          const int32_t label = trained->FindLabel(t.code);
          const double q = label >= 0 ? t.share * probabilities[static_cast<size_t>(label)] : 0.0;
          sum += q;
          best = std::max(best, q);
        }
        is_resolved[k] = sum > 0 && best / sum >= kResolvedPosterior;
      }
    });
    for (const core::Status& e : errors) RETURN_IF_ERROR(e);
    resolved = static_cast<size_t>(std::count(is_resolved.begin(), is_resolved.end(), 1));
  }

  nlohmann::json pairs = nlohmann::json::array();
  for (const data::CrosswalkPair& p : crosswalk.pairs()) pairs.push_back({p.from, p.to, p.weight});
  const size_t slash = crosswalk.source().find_last_of('/');
  model.metadata["crosswalk_training"] = {
      {"from", crosswalk.from_name()},
      {"to", crosswalk.to_name()},
      {"crosswalk", crosswalk.source().substr(slash == std::string::npos ? 0 : slash + 1)},
      {"crosswalk_fingerprint", crosswalk.Fingerprint()},
      {"prior", crosswalk.weighted() ? "crosswalk weights" : "uniform over the allowed codes"},
      {"records", n},
      {"unambiguous", n - split.size()},
      {"resolved", resolved},
      {"left_ambiguous", split.size() - resolved},
      {"dropped", dropped},
      {"rejected", old_coded.rejections.size()},
      {"resolved_at_posterior", kResolvedPosterior},
      {"method", "EM over the allowed codes of each split record (prior: the table's shares), "
                 "the E step done online by the trainer; calibration on the unambiguous records"},
      {"pairs", pairs},
  };
  return model;
}

core::Result<data::Crosswalk> CrosswalkOfModel(const ModelData& model) {
  const auto it = model.metadata.find("crosswalk_training");
  if (it == model.metadata.end()) {
    return core::NotFound("the model was not trained through a crosswalk");
  }
  std::vector<data::CrosswalkPair> pairs;
  try {
    for (const auto& p : it->at("pairs")) {
      pairs.push_back({p.at(0).get<std::string>(), p.at(1).get<std::string>(),
                       p.at(2).get<double>(), 0});
    }
    return data::Crosswalk::FromPairs(it->at("from").get<std::string>(),
                                      it->at("to").get<std::string>(), std::move(pairs),
                                      it->at("crosswalk").get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    return core::DataLoss(std::string("the model's crosswalk_training metadata is damaged: ") +
                          e.what());
  }
}

}  // namespace statcoder::model
