#include "model/joint_model.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "core/content_hash.h"
#include "core/file_util.h"
#include "model/model_io.h"

namespace statcoder::model {
namespace {

constexpr char kJointMagic[8] = {'S', 'T', 'C', 'J', 'O', 'I', 'N', 'T'};
constexpr size_t kChecksumHexBytes = 64;
constexpr const char* kJointFormat = "statcoder.joint.v1";
// A header larger than this is not one we wrote (tuples of a few classifications).
constexpr uint64_t kMaxHeaderBytes = 256ull << 20;

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetU64(std::string_view b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(b[i])) << (8 * i);
  return v;
}

}  // namespace

bool IsJointModelBytes(std::string_view bytes) {
  return bytes.size() >= sizeof kJointMagic &&
         std::memcmp(bytes.data(), kJointMagic, sizeof kJointMagic) == 0;
}

core::Result<std::string> SerializeJointModel(const JointModelData& data) {
  if (data.members.empty() || data.members.size() != data.label_fields.size()) {
    return core::InvalidArgument("a joint model needs one member per label field");
  }
  std::vector<std::string> members;
  nlohmann::json sizes = nlohmann::json::array();
  for (const ModelData& m : data.members) {
    ASSIGN_OR_RETURN(std::string bytes, SerializeModel(m));
    sizes.push_back(bytes.size());
    members.push_back(std::move(bytes));
  }
  const nlohmann::json header = {{"format", kJointFormat},
                                 {"label_fields", data.label_fields},
                                 {"member_bytes", sizes},
                                 {"allowed", data.allowed},
                                 {"allowed_in_training", data.allowed_in_training},
                                 {"tuple_threshold", data.tuple_threshold},
                                 {"metadata", data.metadata}};
  const std::string text = header.dump();
  std::string out(kJointMagic, sizeof kJointMagic);
  PutU64(&out, text.size());
  out += text;
  for (const std::string& m : members) out += m;
  out += core::Sha256Hex(out);
  return out;
}

core::Result<JointModelData> DeserializeJointModel(std::string_view bytes,
                                                   const std::string& source) {
  const std::string ctx = "joint model file '" + source + "'";
  if (!IsJointModelBytes(bytes)) return core::DataLoss(ctx + " is not a joint model (bad magic)");
  if (bytes.size() < sizeof kJointMagic + 8 + kChecksumHexBytes) {
    return core::DataLoss(ctx + " is truncated");
  }
  const std::string_view body = bytes.substr(0, bytes.size() - kChecksumHexBytes);
  if (core::Sha256Hex(body) != bytes.substr(body.size())) {
    return core::DataLoss(ctx + " is corrupt (checksum mismatch)");
  }
  const uint64_t header_len = GetU64(bytes.substr(sizeof kJointMagic, 8));
  const size_t header_at = sizeof kJointMagic + 8;
  if (header_len > kMaxHeaderBytes || header_len > body.size() - header_at) {
    return core::DataLoss(ctx + " is corrupt (header length " + std::to_string(header_len) + ")");
  }
  const nlohmann::json header = nlohmann::json::parse(
      body.substr(header_at, header_len), nullptr, /*allow_exceptions=*/false);
  JointModelData data;
  try {
    if (!header.is_object() || header.at("format") != kJointFormat) {
      return core::UnsupportedVersion(ctx + " has an unknown format");
    }
    data.label_fields = header.at("label_fields").get<std::vector<std::string>>();
    data.allowed = header.at("allowed").get<std::vector<std::vector<std::string>>>();
    if (header.contains("tuple_threshold")) {
      data.tuple_threshold = header.at("tuple_threshold").get<double>();
    }
    if (header.contains("allowed_in_training")) {
      data.allowed_in_training = header.at("allowed_in_training").get<std::vector<bool>>();
    }
    data.metadata = header.at("metadata");
    uint64_t offset = header_at + header_len;
    for (const auto& size_json : header.at("member_bytes")) {
      const uint64_t size = size_json.get<uint64_t>();
      if (size > body.size() - offset) return core::DataLoss(ctx + " is truncated (a member)");
      ASSIGN_OR_RETURN(ModelData m,
                       DeserializeModel(body.substr(offset, size),
                                        source + " member " + std::to_string(data.members.size() + 1)));
      data.members.push_back(std::move(m));
      offset += size;
    }
    if (offset != body.size()) return core::DataLoss(ctx + " has bytes after its members");
  } catch (const nlohmann::json::exception& e) {
    return core::DataLoss(ctx + " has a damaged header: " + e.what());
  }
  if (data.members.size() != data.label_fields.size() || data.members.empty()) {
    return core::DataLoss(ctx + ": members and label fields do not match");
  }
  return data;
}

core::Result<std::string> SaveJointModel(const JointModelData& data, const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, SerializeJointModel(data));
  RETURN_IF_ERROR(core::WriteFileAtomic(path, bytes));
  return bytes.substr(bytes.size() - kChecksumHexBytes, 16);
}

core::Result<std::shared_ptr<const JointModel>> JointModel::Create(JointModelData data,
                                                                   std::string version_id) {
  std::shared_ptr<JointModel> m(new JointModel());
  m->label_fields_ = data.label_fields;
  m->metadata_ = data.metadata;
  m->version_id_ = std::move(version_id);
  if (data.members.empty() || data.members.size() != data.label_fields.size()) {
    return core::DataLoss("a joint model needs one member per label field");
  }
  for (ModelData& member : data.members) {
    ASSIGN_OR_RETURN(std::shared_ptr<const Model> built, Model::Create(std::move(member)));
    if (!m->members_.empty()) {
      const text::FeaturizerConfig& a = m->members_.front()->data().featurizer;
      const text::FeaturizerConfig& b = built->data().featurizer;
      std::vector<std::string> bn;
      for (const auto& f : b.numeric_fields) bn.push_back(f.field);
      std::vector<std::string> an;
      for (const auto& f : a.numeric_fields) an.push_back(f.field);
      if (a.text_fields != b.text_fields || a.categorical_fields != b.categorical_fields ||
          an != bn) {
        return core::DataLoss("the members of a joint model must read the same fields");
      }
    }
    m->members_.push_back(std::move(built));
  }
  for (const auto& tuple : data.allowed) {
    if (tuple.size() != m->members_.size()) {
      return core::DataLoss("an allowed tuple has " + std::to_string(tuple.size()) +
                            " codes for " + std::to_string(m->members_.size()) + " classifications");
    }
    std::vector<int32_t> labels;
    for (size_t k = 0; k < tuple.size(); ++k) {
      const int32_t label = m->members_[k]->FindLabel(tuple[k]);
      if (label < 0) {
        return core::DataLoss("allowed tuple code '" + tuple[k] + "' is not a code of the '" +
                              m->label_fields_[k] + "' member");
      }
      labels.push_back(label);
    }
    m->allowed_.push_back(std::move(labels));
  }
  if (m->allowed_.empty()) return core::DataLoss("a joint model needs allowed tuples");
  if (!data.allowed_in_training.empty() &&
      data.allowed_in_training.size() != data.allowed.size()) {
    return core::DataLoss("a joint model's allowed_in_training has " +
                          std::to_string(data.allowed_in_training.size()) + " entries for " +
                          std::to_string(data.allowed.size()) + " allowed tuples");
  }
  m->in_training_ = std::move(data.allowed_in_training);
  if (!(data.tuple_threshold >= 0 && data.tuple_threshold <= kNeverAuto)) {
    return core::DataLoss("a joint model's tuple threshold is out of range");
  }
  m->tuple_threshold_ = data.tuple_threshold;
  return std::shared_ptr<const JointModel>(std::move(m));
}

core::Result<std::shared_ptr<const JointModel>> LoadJointModel(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, core::ReadFile(path));
  ASSIGN_OR_RETURN(JointModelData data, DeserializeJointModel(bytes, path));
  return JointModel::Create(std::move(data), bytes.substr(bytes.size() - kChecksumHexBytes, 16));
}

JointPredictor::JointPredictor(std::shared_ptr<const JointModel> model) : model_(std::move(model)) {
  for (size_t k = 0; k < model_->size(); ++k) predictors_.emplace_back(model_->member(k));
}

core::Status JointPredictor::Predict(const text::RecordView& record, JointPrediction* out,
                                     std::span<const CodeWeight> weights,
                                     std::span<const uint8_t> tuple_mask) {
  const size_t m = model_->size();
  const auto& allowed = model_->allowed();
  if (!tuple_mask.empty() && tuple_mask.size() != allowed.size()) {
    return core::InvalidArgument("tuple mask of " + std::to_string(tuple_mask.size()) +
                                 " entries for " + std::to_string(allowed.size()) + " tuples");
  }
  const auto usable = [&](size_t t) { return tuple_mask.empty() || tuple_mask[t] != 0; };
  out->codes.assign(m, std::string());
  out->code_confidence.assign(m, 0.0);
  out->independent_codes.assign(m, std::string());
  Prediction alone;
  std::vector<int32_t> independent(m);
  for (size_t k = 0; k < m; ++k) {
    RETURN_IF_ERROR(predictors_[k].Predict(record, 1, &alone));
    independent[k] = alone.top[0].label;
    out->independent_codes[k] = model_->member(k)->label(static_cast<size_t>(alone.top[0].label));
  }
  // The members' probabilities, weighted when a check outside the model asks.
  std::vector<const float*> probs(m);
  std::vector<const double*> weighted(m, nullptr);
  for (size_t k = 0; k < m; ++k) probs[k] = predictors_[k].probabilities().data();
  if (!weights.empty()) {
    weighted_.resize(m);
    for (size_t k = 0; k < m; ++k) {
      const auto& p = predictors_[k].probabilities();
      weighted_[k].assign(p.begin(), p.end());
    }
    for (const CodeWeight& w : weights) {
      if (w.member < m && w.label >= 0 &&
          static_cast<size_t>(w.label) < weighted_[w.member].size()) {
        weighted_[w.member][static_cast<size_t>(w.label)] *= std::clamp(w.factor, 0.0, 1.0);
      }
    }
    for (size_t k = 0; k < m; ++k) weighted[k] = weighted_[k].data();
  }
  const auto prob = [&](size_t k, int32_t label) {
    const size_t l = static_cast<size_t>(label);
    return weighted[k] != nullptr ? weighted[k][l] : static_cast<double>(probs[k][l]);
  };
  scores_.assign(allowed.size(), 0.0);
  double total = 0;
  size_t best = allowed.size();
  out->independent_allowed = false;
  for (size_t t = 0; t < allowed.size(); ++t) {
    if (!usable(t)) continue;
    double s = 1;
    for (size_t k = 0; k < m; ++k) {
      s *= prob(k, allowed[t][k]);
    }
    scores_[t] = s;
    total += s;
    if (best == allowed.size() || s > scores_[best]) best = t;
    out->independent_allowed = out->independent_allowed || allowed[t] == independent;
  }
  if (best == allowed.size()) {
    return core::InvalidArgument("no allowed tuple is left for this record");
  }
  for (size_t k = 0; k < m; ++k) {
    out->codes[k] = model_->member(k)->label(static_cast<size_t>(allowed[best][k]));
  }
  out->confidence = total > 0 ? scores_[best] / total : 0.0;
  for (size_t t = 0; t < allowed.size(); ++t) {
    if (!usable(t)) continue;
    for (size_t k = 0; k < m; ++k) {
      if (allowed[t][k] == allowed[best][k] && total > 0) {
        out->code_confidence[k] += scores_[t] / total;
      }
    }
  }
  out->tuple_in_training = model_->allowed_in_training(best);
  bool auto_code = total > 0 && out->tuple_in_training &&
                   out->confidence >= model_->tuple_threshold();
  out->code_auto.assign(m, false);
  for (size_t k = 0; k < m; ++k) {
    out->code_auto[k] = total > 0 && out->code_confidence[k] >=
                                         model_->member(k)->data().policy.label_threshold;
    auto_code = auto_code && out->code_auto[k];
  }
  out->decision = auto_code ? Decision::kAuto : Decision::kReview;
  return core::Status::Ok();
}

}  // namespace statcoder::model
