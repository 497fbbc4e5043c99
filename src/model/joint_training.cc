#include "model/joint_training.h"

#include <set>

#include "model/trainer.h"

namespace statcoder::model {

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
  joint.metadata["allowed_tuples"] = joint.allowed.size();
  return joint;
}

}  // namespace statcoder::model
