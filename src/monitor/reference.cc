#include "monitor/reference.h"

#include <string>

#include "monitor/json_util.h"

namespace statcoder::monitor {
namespace {
constexpr std::string_view kFormat = "statcoder.monitor_reference";
}  // namespace

double Reference::HeldoutAccuracy() const {
  return heldout_n > 0 ? static_cast<double>(heldout_correct) / static_cast<double>(heldout_n) : 0;
}

double Reference::AutoPrecision() const {
  return auto_n > 0 ? static_cast<double>(auto_correct) / static_cast<double>(auto_n) : 0;
}

nlohmann::json Reference::ToJson() const {
  return {{"format", kFormat},
          {"version", kReferenceVersion},
          {"stats", stats.ToJson()},
          {"heldout_n", heldout_n},
          {"heldout_correct", heldout_correct},
          {"auto_n", auto_n},
          {"auto_correct", auto_correct},
          {"trained_codes", trained_codes},
          {"heldout_untrained", heldout_untrained}};
}

core::Result<Reference> Reference::FromJson(const nlohmann::json& j) {
  const std::string where(kFormat);
  RETURN_IF_ERROR(json_util::CheckHeader(j, kFormat, kReferenceVersion));
  Reference r;
  const nlohmann::json* stats = json_util::Field(j, "stats");
  if (stats == nullptr) return json_util::Missing(where, "stats");
  core::Result<BatchStats> parsed = BatchStats::FromJson(*stats);
  if (!parsed.ok()) return parsed.status().WithContext(where + ".stats");
  r.stats = std::move(parsed).value();
  RETURN_IF_ERROR(json_util::GetCount(j, "heldout_n", where, &r.heldout_n));
  RETURN_IF_ERROR(json_util::GetCount(j, "heldout_correct", where, &r.heldout_correct));
  RETURN_IF_ERROR(json_util::GetCount(j, "auto_n", where, &r.auto_n));
  RETURN_IF_ERROR(json_util::GetCount(j, "auto_correct", where, &r.auto_correct));
  if (r.heldout_correct > r.heldout_n || r.auto_correct > r.auto_n) {
    return core::InvalidInput(where + ": a 'correct' count exceeds its n");
  }
  // Written since new-code detection (optional before).
  if (const nlohmann::json* codes = json_util::Field(j, "trained_codes"); codes != nullptr) {
    if (!codes->is_array()) return core::InvalidInput(where + ".trained_codes: expected an array");
    for (size_t i = 0; i < codes->size(); ++i) {
      const nlohmann::json& c = (*codes)[i];
      if (!c.is_string() || c.get_ref<const std::string&>().empty()) {
        return core::InvalidInput(where + ".trained_codes[" + std::to_string(i) +
                                  "]: expected a non-empty code");
      }
      if (!r.trained_codes.empty() && !(r.trained_codes.back() < c.get_ref<const std::string&>())) {
        return core::InvalidInput(where + ".trained_codes[" + std::to_string(i) +
                                  "]: codes must be sorted and unique");
      }
      r.trained_codes.push_back(c.get<std::string>());
    }
  }
  if (json_util::Field(j, "heldout_untrained") != nullptr) {
    RETURN_IF_ERROR(json_util::GetCount(j, "heldout_untrained", where, &r.heldout_untrained));
    if (r.heldout_untrained > r.heldout_n) {
      return core::InvalidInput(where + ": 'heldout_untrained' exceeds 'heldout_n'");
    }
  }
  return r;
}

void ReferenceBuilder::Add(const RecordObservation& obs, bool top1_correct, bool decided_correct) {
  stats_.Add(obs);
  ++ref_.heldout_n;
  if (top1_correct) ++ref_.heldout_correct;
  if (obs.decision == model::Decision::kAuto) {
    ++ref_.auto_n;
    if (decided_correct) ++ref_.auto_correct;
  }
}

Reference ReferenceBuilder::Finish() && {
  ref_.stats = std::move(stats_).Finish();
  return std::move(ref_);
}

}  // namespace statcoder::monitor
