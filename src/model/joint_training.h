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
// `code_lists[k]` may be null. Errors: kInvalidArgument (sizes), the trainer's.
core::Result<JointModelData> TrainJoint(const std::vector<data::Dataset>& per_label,
                                        const std::vector<std::string>& label_fields,
                                        const TrainOptions& options,
                                        const std::vector<const data::CodeList*>& code_lists,
                                        const core::ProgressCallback& progress = nullptr);

}  // namespace statcoder::model
