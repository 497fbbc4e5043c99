#include "model/joint_training.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "model/calibration.h"
#include "model/trainer.h"

namespace statcoder::model {
namespace {

// Cross-fitting, as the members calibrate themselves (TrainOptions::calibration_folds): the
// records in seeded folds, each fold's tuples decided by members trained on the other folds, so
// every record is scored out of fold. Then the threshold on the tuple's confidence that
// Learn-then-Test certifies for the options' target precision and risk among the records whose
// tuple training carried (kNeverAuto when none): the final model auto-codes a tuple when its
// confidence reaches it and every member's rules auto-code its code. `report`: what was measured.
core::Result<double> CertifyTupleThreshold(const std::vector<data::Dataset>& per_label,
                                           const std::vector<std::string>& label_fields,
                                           const TrainOptions& options,
                                           const std::vector<const data::CodeList*>& code_lists,
                                           const std::vector<std::vector<std::string>>& allowed,
                                           nlohmann::json* report) {
  const size_t n = per_label.front().records.size();
  const size_t folds = static_cast<size_t>(std::max(2, options.calibration_folds));
  // Folds stratified by tuple: a tuple's records are dealt round the folds, so a tuple with
  // two or more records is in every fold's training part, as in the final model's. (Plain
  // folds leave a rare code out of training in the fold that holds all its records, whose
  // records are then confidently given a sibling code: errors the final model does not make.)
  std::mt19937_64 rng(options.seed ^ 0x6a6f696e74ull);  // "joint"
  std::map<std::vector<std::string>, std::vector<size_t>> by_tuple;
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> t;
    for (const auto& ds : per_label) t.push_back(ds.records[i].label);
    by_tuple[std::move(t)].push_back(i);
  }
  std::vector<size_t> fold_of(n);
  size_t next = 0;
  for (auto& [tuple, records] : by_tuple) {
    std::shuffle(records.begin(), records.end(), rng);
    for (size_t j = 0; j < records.size(); ++j) fold_of[records[j]] = (next + j) % folds;
    next = (next + records.size()) % folds;
  }
  std::vector<double> confidence;
  std::vector<uint8_t> correct;
  JointPrediction p;
  for (size_t f = 0; f < folds; ++f) {
    JointModelData part;
    part.label_fields = label_fields;
    std::vector<data::Dataset> fit(per_label.size());
    for (size_t k = 0; k < per_label.size(); ++k) {
      fit[k] = per_label[k];
      fit[k].records.clear();
      for (size_t i = 0; i < n; ++i) {
        if (fold_of[i] != f) fit[k].records.push_back(per_label[k].records[i]);
      }
      ASSIGN_OR_RETURN(ModelData member, Train(fit[k], options, code_lists[k], nullptr));
      part.members.push_back(std::move(member));
    }
    std::set<std::vector<std::string>> seen;
    for (size_t i = 0; i < fit[0].records.size(); ++i) {
      std::vector<std::string> t;
      for (const auto& ds : fit) t.push_back(ds.records[i].label);
      seen.insert(std::move(t));
    }
    for (const auto& tuple : allowed) {
      bool known = true;
      for (size_t k = 0; k < tuple.size() && known; ++k) {
        const auto& labels = part.members[k].labels;
        known = std::find(labels.begin(), labels.end(), tuple[k]) != labels.end();
      }
      if (!known) continue;
      part.allowed.push_back(tuple);
      part.allowed_in_training.push_back(seen.count(tuple) > 0);
    }
    if (part.allowed.empty()) continue;
    ASSIGN_OR_RETURN(std::shared_ptr<const JointModel> model, JointModel::Create(std::move(part)));
    JointPredictor predictor(model);
    for (size_t i = 0; i < n; ++i) {
      if (fold_of[i] != f) continue;
      const data::Record& r = per_label[0].records[i];
      const std::vector<std::string_view> texts(r.texts.begin(), r.texts.end());
      const std::vector<std::string_view> cats(r.categoricals.begin(), r.categoricals.end());
      RETURN_IF_ERROR(predictor.Predict(text::RecordView{texts, cats, r.numerics}, &p));
      // Every record counts, not only those the fold's members would auto-code: members
      // trained on part of the records refer far more than the final ones will, and the
      // threshold is applied to the final members' tuples.
      if (!p.tuple_in_training) continue;  // never auto-coded
      bool right = true;
      for (size_t k = 0; k < per_label.size(); ++k) {
        right = right && p.codes[k] == per_label[k].records[i].label;
      }
      confidence.push_back(p.confidence);
      correct.push_back(right ? 1 : 0);
    }
  }
  const double threshold = confidence.empty()
                               ? kNeverAuto
                               : ChooseCertifiedThreshold(
                                     confidence, correct, options.target_precision, options.risk,
                                     // The walk starts at a tenth of the records (a choice made
                                     // from their number only): the tuple's errors are spread
                                     // over its members', so the thin top cuts are noisier.
                                     std::max<size_t>(10, confidence.size() / 10));
  size_t auto_n = 0, auto_right = 0;
  for (size_t i = 0; i < confidence.size(); ++i) {
    if (confidence[i] >= threshold) {
      ++auto_n;
      auto_right += correct[i];
    }
  }
  *report = {{"method", "learn_then_test"},
             {"folds", folds},
             {"records", n},
             {"scored_records", confidence.size()},
             {"threshold", threshold},
             {"target_precision", options.target_precision},
             {"risk", options.risk},
             {"out_of_fold_auto_rate", n ? static_cast<double>(auto_n) / static_cast<double>(n) : 0.0},
             {"out_of_fold_precision",
              auto_n ? nlohmann::json(static_cast<double>(auto_right) / static_cast<double>(auto_n))
                     : nlohmann::json(nullptr)}};
  return threshold;
}

}  // namespace

core::Result<JointModelData> TrainJoint(
    const std::vector<data::Dataset>& per_label, const std::vector<std::string>& label_fields,
    const TrainOptions& options, const std::vector<const data::CodeList*>& code_lists,
    const core::ProgressCallback& progress,
    const std::vector<std::vector<std::string>>* allowed_table) {
  if (per_label.size() < 2 || per_label.size() != label_fields.size() ||
      code_lists.size() != per_label.size()) {
    return core::InvalidArgument("joint training needs two or more label fields, each with its "
                                 "records and (possibly null) code list");
  }
  const size_t n = per_label.front().records.size();
  for (const data::Dataset& ds : per_label) {
    if (ds.records.size() != n) {
      return core::InvalidArgument("joint training: every label field needs the same records");
    }
  }
  JointModelData joint;
  joint.label_fields = label_fields;
  for (size_t k = 0; k < per_label.size(); ++k) {
    ASSIGN_OR_RETURN(ModelData member, Train(per_label[k], options, code_lists[k], progress));
    member.metadata["training_data"]["label_field"] = label_fields[k];
    joint.members.push_back(std::move(member));
  }
  // Allowed: every tuple some training record carries, or the table's, in sorted order
  // (deterministic).
  std::set<std::vector<std::string>> seen;
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> tuple;
    for (const data::Dataset& ds : per_label) tuple.push_back(ds.records[i].label);
    seen.insert(std::move(tuple));
  }
  joint.metadata = {{"records", n},
                    {"training_data", {{"sha256", per_label.front().content_hash}}}};
  if (allowed_table == nullptr) {
    joint.allowed.assign(seen.begin(), seen.end());
    joint.metadata["allowed_tuples_from"] = "training records";
  } else {
    std::vector<std::set<std::string>> trained(per_label.size());
    for (size_t k = 0; k < per_label.size(); ++k) {
      trained[k].insert(joint.members[k].labels.begin(), joint.members[k].labels.end());
    }
    std::set<std::vector<std::string>> usable;
    size_t unusable = 0;
    for (const auto& tuple : *allowed_table) {
      bool ok = tuple.size() == per_label.size();
      for (size_t k = 0; ok && k < tuple.size(); ++k) ok = trained[k].count(tuple[k]) > 0;
      if (ok) {
        usable.insert(tuple);
      } else {
        ++unusable;
      }
    }
    if (usable.empty()) {
      return core::InvalidInput("no tuple of the correspondence table has codes the members "
                                "were trained on");
    }
    size_t outside = 0;
    for (size_t i = 0; i < n; ++i) {
      std::vector<std::string> tuple;
      for (const data::Dataset& ds : per_label) tuple.push_back(ds.records[i].label);
      outside += usable.count(tuple) == 0;
    }
    joint.allowed.assign(usable.begin(), usable.end());
    joint.metadata["allowed_tuples_from"] = "correspondence table";
    joint.metadata["table_tuples_without_trained_codes"] = unusable;
    joint.metadata["records_outside_table"] = outside;
  }
  for (const auto& tuple : joint.allowed) joint.allowed_in_training.push_back(seen.count(tuple) > 0);
  // The members certify their own codes; the tuple, which is right only when all of them are,
  // gets its own certified threshold.
  nlohmann::json certification;
  ASSIGN_OR_RETURN(joint.tuple_threshold,
                   CertifyTupleThreshold(per_label, label_fields, options, code_lists,
                                         joint.allowed, &certification));
  joint.metadata["tuple_certification"] = certification;
  joint.metadata["allowed_tuples"] = joint.allowed.size();
  return joint;
}

}  // namespace statcoder::model
