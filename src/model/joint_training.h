// Training a JointModel (model/joint_model.h): one member per classification on the same
// records, and the tuples of codes those records carry as the allowed tuples.
//
//   // per_label[k]: the same records, labelled with label_fields[k]
//   ASSIGN_OR_RETURN(JointModelData j, TrainJoint(per_label, {"soc2020", "isco08"}, options,
//                                                 {&soc2020, nullptr}));
// Thread-safety: as Train.
#pragma once

#include <string>
#include <vector>

#include "core/progress.h"
#include "core/result.h"
#include "data/code_list.h"
#include "data/dataset.h"
#include "model/joint_model.h"
#include "model/train_options.h"

namespace statcoder::model {

// REQUIRES per_label[k].records[i] to be the same record for every k (only the label differs).
// `code_lists[k]` may be null. `allowed_table` (may be null): the allowed tuples from a
// correspondence table instead of the training records; tuples with a code no member was
// trained on are left out (counted in the metadata, as are the training records whose tuple
// the table does not allow). Errors: kInvalidArgument (sizes), kInvalidInput (no tuple of the
// table is usable), the trainer's.
core::Result<JointModelData> TrainJoint(
    const std::vector<data::Dataset>& per_label, const std::vector<std::string>& label_fields,
    const TrainOptions& options, const std::vector<const data::CodeList*>& code_lists,
    const core::ProgressCallback& progress = nullptr,
    const std::vector<std::vector<std::string>>* allowed_table = nullptr);

}  // namespace statcoder::model
