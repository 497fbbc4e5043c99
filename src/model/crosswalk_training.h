// Training a model for a new classification version from records coded in the old one,
// through a correspondence table (data/crosswalk.h): SOC 2010 records → a SOC 2020 model.
//
//   ASSIGN_OR_RETURN(Crosswalk x, Crosswalk::Load("soc2010_soc2020.tsv", {}, nullptr, &soc2020));
//   size_t dropped = DropUnmappedRecords(x, "soc2010", &dataset);   // kept aside as rejections
//   ASSIGN_OR_RETURN(ModelData m, TrainThroughCrosswalk(dataset, x, options, &soc2020, dropped));
//
// Relabelling every old code by its most frequent new code mislabels the records of split
// codes whose text says otherwise (~7 % of the ONS SOC index). Instead:
//  1. records whose old code has one allowed new code carry it over ("unambiguous");
//  2. a record of a split code gets every allowed new code as an EM soft label with the
//     table's prior share (the weight column, e.g. derived record counts; uniform without
//     weights): the trainer fits each such record to its marginal likelihood, the E step done
//     online (model/trainer.h, SoftLabels::em), so what the records of other codes teach the
//     model decides between the allowed codes, and what the text does not settle stays
//     uncertain in the model, which the coding policy then refers;
//  3. calibration and thresholds are fitted on the unambiguous records, whose new code is
//     known (the trainer does not score records whose code it only infers).
// Measured alternatives (docs/crosswalks.md): a seed model trained on the unambiguous records
// alone scoring the split ones (worse than majority relabelling: codes reached only through
// splits have no examples), fixed soft labels at the prior shares, and likelihood weights
// n(old, new) / n(new) in the E step were all below this.
// The model's metadata keeps the table (its fingerprint and pairs) and the counts
// ("crosswalk_training"), so it can say exactly what trained it.
// Thread-safety: as Train.
#pragma once

#include <string>

#include "core/progress.h"
#include "core/result.h"
#include "data/code_list.h"
#include "data/crosswalk.h"
#include "data/dataset.h"
#include "model/model.h"
#include "model/train_options.h"

namespace statcoder::model {

// Moves the records whose label has no row in the crosswalk into dataset->rejections (one
// each, "<path>:<line>: column '<label_field>': code 'X' has no row in the crosswalk ..."),
// so they are counted and kept aside, never silently dropped; their raw text is
// "<id><TAB><code>" (a Record keeps its fields, not its line). Returns how many moved.
size_t DropUnmappedRecords(const data::Crosswalk& crosswalk, const std::string& label_field,
                           data::Dataset* dataset);

// Every record's label must be a from code of `crosswalk` (DropUnmappedRecords first, whose
// count `dropped` is for the report; else kInvalidArgument). `new_codes` (may be null) is the
// new version's code list; every target code must be in it.
// Errors: kInvalidInput when no record is left, or a target is not in `new_codes`; the
// trainer's errors.
core::Result<ModelData> TrainThroughCrosswalk(const data::Dataset& old_coded,
                                              const data::Crosswalk& crosswalk,
                                              const TrainOptions& options,
                                              const data::CodeList* new_codes, size_t dropped,
                                              const core::ProgressCallback& progress = nullptr);

// The crosswalk a model was trained through, rebuilt from its metadata (for reproduce);
// kNotFound when the model was not trained through one.
core::Result<data::Crosswalk> CrosswalkOfModel(const ModelData& model);

}  // namespace statcoder::model
