#include "monitor/new_codes.h"

#include <algorithm>
#include <cstdio>

#include "core/check.h"

namespace statcoder::monitor {

TrainedCodes::TrainedCodes(const Reference& reference, const data::CodeList* codes)
    : recorded_(!reference.trained_codes.empty()) {
  for (const std::string& code : reference.trained_codes) {
    known_.insert(code);
    if (codes == nullptr) continue;
    const int32_t node = codes->Find(code);
    for (int32_t n = node >= 0 ? codes->node(node).parent : -1; n >= 0; n = codes->node(n).parent) {
      if (!known_.insert(codes->node(n).code).second) break;  // its ancestors are in already
    }
  }
}

bool TrainedCodes::Knows(std::string_view code) const { return known_.contains(std::string(code)); }

void ReviewedCodes::Add(std::string_view code, bool untrained_code) {
  ++reviewed;
  if (!untrained_code) return;
  ++untrained;
  auto it = untrained_codes.find(code);
  if (it == untrained_codes.end()) it = untrained_codes.emplace(std::string(code), 0).first;
  ++it->second;
}

core::Status NewCodeOptions::Validate() const {
  if (min_records < 1) return core::InvalidArgument("new-code min_records must be >= 1");
  if (!(min_share >= 0 && min_share < 1)) {
    return core::InvalidArgument("new-code min_share must be in [0, 1)");
  }
  return core::Status::Ok();
}

nlohmann::json NewCodeFinding::ToJson() const {
  nlohmann::json codes = nlohmann::json::array();
  for (const auto& [code, n] : top_codes) codes.push_back({{"code", code}, {"records", n}});
  return {{"tested", tested},     {"note", note},
          {"reviewed", reviewed}, {"untrained", untrained},
          {"share", share},       {"reference_share", reference_share},
          {"alarm", alarm},       {"codes", std::move(codes)},
          {"message", message}};
}

NewCodeFinding TestNewCodes(const Reference& reference, const ReviewedCodes& reviewed,
                            const NewCodeOptions& options) {
  SC_CHECK(options.Validate().ok());
  NewCodeFinding f;
  f.reviewed = reviewed.reviewed;
  f.untrained = reviewed.untrained;
  if (reference.trained_codes.empty()) {
    f.note =
        "the reference does not list the model's trained codes (a model trained before "
        "they were kept)";
    return f;
  }
  if (reviewed.reviewed == 0) {
    f.note = "no reviewed record in this batch yet";
    return f;
  }
  f.tested = true;
  f.share = static_cast<double>(reviewed.untrained) / static_cast<double>(reviewed.reviewed);
  f.reference_share = reference.heldout_n > 0 ? static_cast<double>(reference.heldout_untrained) /
                                                    static_cast<double>(reference.heldout_n)
                                              : 0;
  std::vector<std::pair<std::string, int64_t>> codes(reviewed.untrained_codes.begin(),
                                                     reviewed.untrained_codes.end());
  std::stable_sort(codes.begin(), codes.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (codes.size() > 5) codes.resize(5);
  f.top_codes = std::move(codes);
  f.alarm =
      reviewed.untrained >= options.min_records && f.share - f.reference_share >= options.min_share;
  if (reviewed.untrained > 0) {
    std::string list;
    for (const auto& [code, n] : f.top_codes) {
      list += (list.empty() ? "" : ", ") + code + " (" + std::to_string(n) + ")";
    }
    if (reviewed.untrained_codes.size() > f.top_codes.size()) list += ", ...";
    char head[160];
    std::snprintf(head, sizeof head,
                  "coders gave %lld of %lld reviewed records (%.1f%%; held-out records %.1f%%) "
                  "codes the model has no training records for: ",
                  static_cast<long long>(reviewed.untrained),
                  static_cast<long long>(reviewed.reviewed), 100 * f.share,
                  100 * f.reference_share);
    f.message = head + list;
  }
  return f;
}

}  // namespace statcoder::monitor
