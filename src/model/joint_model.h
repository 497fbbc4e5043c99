// JointModel: codes a record in several classifications at once and consistently (SOC 2020
// and ISCO-08 from one answer; later the dimensions of an SDMX key): a record gets a tuple of
// codes, and the allowed tuples come from a table.
//
//   ASSIGN_OR_RETURN(std::shared_ptr<const JointModel> m, LoadJointModel("soc_isco.stcj"));
//   JointPredictor predictor(m);
//   JointPrediction p;
//   RETURN_IF_ERROR(predictor.Predict(view, &p));   // p.codes = {"2134", "2512"}
//
// One member model per classification (a Model, trained as usual on the same records and
// fields), and the allowed tuples (those seen together in the training records). The decision
// is joint: the chosen tuple is the allowed one with the largest product of the members'
// calibrated probabilities; its confidence is that product over the sum of the products of all
// allowed tuples (the members' beliefs restricted to what may go together), and each code's
// confidence the share of that sum on tuples carrying it. A tuple is auto-coded only when every
// member's own policy would auto-code its code at that confidence (so each member keeps the
// precision it certifies; the pair's precision is at least 1 - the sum of the members' shares
// of errors), the tuple itself was seen in training and its confidence reaches the model's
// tuple threshold (certified for the tuple as a whole: joint_training.h); otherwise the record is referred, with
// the codes that would be auto-coded alone marked (partial coding).
//
// File (.stcj): magic "STCJOINT", a u64 length and a JSON header (label fields, allowed
// tuples, member sizes, metadata), the member model files (.stc, each with its own checksum),
// then the SHA-256 of everything before it. Readers check every part before trusting it.
// Thread-safety: a JointModel is immutable; a JointPredictor is for one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "model/model.h"
#include "model/predictor.h"

namespace statcoder::model {

struct JointModelData {
  std::vector<std::string> label_fields;          // one per member, in order
  std::vector<ModelData> members;
  std::vector<std::vector<std::string>> allowed;  // tuples, one code per member
  // Per allowed tuple: whether a training record carries it. Empty: all do (files written
  // before tuples could come from a table).
  std::vector<bool> allowed_in_training;
  // The tuple's own confidence needed to auto-code it, certified on held-out records
  // (joint_training.h); 0: none beyond the members' (files written before it existed).
  double tuple_threshold = 0;
  nlohmann::json metadata = nlohmann::json::object();
};

core::Result<std::string> SerializeJointModel(const JointModelData& data);
core::Result<JointModelData> DeserializeJointModel(std::string_view bytes,
                                                   const std::string& source);
// Whether the bytes start like a joint model file.
bool IsJointModelBytes(std::string_view bytes);
// Writes atomically; returns the version id (first 16 hex digits of the checksum).
core::Result<std::string> SaveJointModel(const JointModelData& data, const std::string& path);

class JointModel {
 public:
  // Checks sizes (every tuple has one code per member, every code a label of its member) and
  // that the members read the same fields.
  static core::Result<std::shared_ptr<const JointModel>> Create(JointModelData data,
                                                                std::string version_id = "");
  size_t size() const { return members_.size(); }
  const std::string& label_field(size_t k) const { return label_fields_[k]; }
  const std::vector<std::string>& label_fields() const { return label_fields_; }
  const std::shared_ptr<const Model>& member(size_t k) const { return members_[k]; }
  // Allowed tuples as label indices of the members.
  const std::vector<std::vector<int32_t>>& allowed() const { return allowed_; }
  bool allowed_in_training(size_t t) const { return in_training_.empty() || in_training_[t]; }
  double tuple_threshold() const { return tuple_threshold_; }
  const nlohmann::json& metadata() const { return metadata_; }
  const std::string& version_id() const { return version_id_; }

 private:
  JointModel() = default;
  std::vector<std::string> label_fields_;
  std::vector<std::shared_ptr<const Model>> members_;
  std::vector<std::vector<int32_t>> allowed_;
  std::vector<bool> in_training_;
  double tuple_threshold_ = 0;
  nlohmann::json metadata_;
  std::string version_id_;
};

core::Result<std::shared_ptr<const JointModel>> LoadJointModel(const std::string& path);

struct JointPrediction {
  std::vector<std::string> codes;        // the chosen tuple, one code per member
  std::vector<double> code_confidence;   // per member: share of the allowed mass on its code
  double confidence = 0;                 // of the whole tuple
  Decision decision = Decision::kReview;
  // Per member: whether its code alone would be auto-coded at its confidence (partial coding:
  // e.g. an SDMX key's indicator certain, its unit referred). decision is kAuto when all are.
  std::vector<bool> code_auto;
  // Whether a training record carried the chosen tuple. A tuple assembled from codes seen only
  // in other combinations (a new SDMX key) is never auto-coded: a person confirms it first.
  bool tuple_in_training = true;
  // Per member: the code it would choose alone, and whether that tuple is allowed.
  std::vector<std::string> independent_codes;
  bool independent_allowed = false;
};

// A check outside the model (a plausibility rule on the series' values) found a code unlikely
// for this record: member `member`'s probability of label `label` is multiplied by `factor`
// (in [0, 1]) before the joint decision.
struct CodeWeight {
  size_t member = 0;
  int32_t label = -1;
  double factor = 1;
};

class JointPredictor {
 public:
  explicit JointPredictor(std::shared_ptr<const JointModel> model);
  // `tuple_mask`, when not empty, has one entry per allowed tuple: 0 leaves that tuple out for
  // this record (the structure's constraints on the record's frequency or country forbid it,
  // sdmx/context_constraints.h). Error kInvalidArgument when the mask leaves no tuple.
  core::Status Predict(const text::RecordView& record, JointPrediction* out,
                       std::span<const CodeWeight> weights = {},
                       std::span<const uint8_t> tuple_mask = {});

 private:
  std::shared_ptr<const JointModel> model_;
  std::vector<Predictor> predictors_;
  std::vector<std::vector<double>> weighted_;  // per member, when weights are given
  std::vector<double> scores_;
};

}  // namespace statcoder::model
