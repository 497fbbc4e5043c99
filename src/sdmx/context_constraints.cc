#include "sdmx/context_constraints.h"

#include <algorithm>
#include <map>
#include <optional>

namespace statcoder::sdmx {

core::Result<ContextConstraints> ContextConstraints::From(const StructureMessage& m,
                                                          const DataStructure& dsd,
                                                          const std::vector<std::string>& coded) {
  ContextConstraints out;
  out.coded_ = coded;
  // Slots: the coded dimensions, then the dimensions the input may carry (not coded, not time).
  std::map<std::string, size_t> slot;
  for (size_t k = 0; k < coded.size(); ++k) slot[coded[k]] = k;
  std::vector<std::string> candidates;
  for (const Dimension& d : dsd.dimensions) {
    if (!d.time && !slot.count(d.id)) candidates.push_back(d.id);
  }
  // Converts dimension-value pairs into a region over the slots. `exclusion`: a region naming a
  // dimension with no slot (the time dimension) cannot be decided, so it does not apply.
  std::vector<std::string> named;  // context dimensions some kept rule names, in DSD order later
  const auto region_of = [&](const std::vector<std::pair<std::string, std::vector<std::string>>>&
                                 key_values,
                             bool exclusion, bool* names_context) -> std::optional<Region> {
    Region r;
    for (const auto& [dim, values] : key_values) {
      size_t s = 0;
      if (auto it = slot.find(dim); it != slot.end()) {
        s = it->second;
      } else if (auto c = std::find(candidates.begin(), candidates.end(), dim);
                 c != candidates.end()) {
        s = coded.size() + static_cast<size_t>(c - candidates.begin());
        *names_context = true;
      } else {
        if (exclusion) return std::nullopt;
        continue;  // the time dimension: not decided here
      }
      std::vector<std::string> sorted = values;
      std::sort(sorted.begin(), sorted.end());
      r.values.emplace_back(s, std::move(sorted));
    }
    if (exclusion && r.values.empty()) return std::nullopt;
    return r;
  };
  for (const ContentConstraint& c : m.constraints) {
    if (c.type != "Allowed" || !ConstraintAppliesTo(m, c, dsd)) continue;
    Constraint kept;
    kept.id = c.ref.ToString();
    bool names_context = false;
    for (const CubeRegion& region : c.cube_regions) {
      std::optional<Region> r = region_of(region.key_values, !region.include, &names_context);
      if (r) (region.include ? kept.include : kept.exclude).push_back(*std::move(r));
    }
    for (const KeySet& set : c.key_sets) {
      for (const auto& key : set.keys) {
        std::vector<std::pair<std::string, std::vector<std::string>>> kv;
        for (const auto& [dim, value] : key) kv.push_back({dim, {value}});
        std::optional<Region> r = region_of(kv, !set.include, &names_context);
        if (r) (set.include ? kept.include : kept.exclude).push_back(*std::move(r));
      }
    }
    if (names_context) out.constraints_.push_back(std::move(kept));
  }
  // Renumber the context slots to the dimensions actually named, in the DSD's order.
  std::vector<bool> used(candidates.size(), false);
  for (const Constraint& c : out.constraints_) {
    for (const auto* list : {&c.include, &c.exclude}) {
      for (const Region& r : *list) {
        for (const auto& [s, values] : r.values) {
          if (s >= coded.size()) used[s - coded.size()] = true;
        }
      }
    }
  }
  std::vector<size_t> renumbered(candidates.size(), 0);
  for (size_t c = 0; c < candidates.size(); ++c) {
    if (!used[c]) continue;
    renumbered[c] = coded.size() + out.context_.size();
    out.context_.push_back(candidates[c]);
  }
  for (Constraint& c : out.constraints_) {
    for (auto* list : {&c.include, &c.exclude}) {
      for (Region& r : *list) {
        for (auto& [s, values] : r.values) {
          if (s >= coded.size()) s = renumbered[s - coded.size()];
        }
      }
    }
  }
  return out;
}

nlohmann::json ContextConstraints::ToJson() const {
  const auto name_of = [&](size_t s) {
    return s < coded_.size() ? coded_[s] : context_[s - coded_.size()];
  };
  nlohmann::json constraints = nlohmann::json::array();
  for (const Constraint& c : constraints_) {
    nlohmann::json include = nlohmann::json::array(), exclude = nlohmann::json::array();
    for (const auto& [list, into] : {std::pair{&c.include, &include}, {&c.exclude, &exclude}}) {
      for (const Region& r : *list) {
        nlohmann::json region = nlohmann::json::object();
        for (const auto& [s, values] : r.values) region[name_of(s)] = values;
        into->push_back(std::move(region));
      }
    }
    constraints.push_back({{"id", c.id}, {"include", include}, {"exclude", exclude}});
  }
  return {{"context_dimensions", context_}, {"constraints", constraints}};
}

core::Result<ContextConstraints> ContextConstraints::FromJson(
    const nlohmann::json& j, const std::vector<std::string>& coded) {
  const auto bad = [](const std::string& what) {
    return core::InvalidInput("the model's SDMX context constraints: " + what);
  };
  if (!j.is_object() || !j.contains("context_dimensions") || !j.contains("constraints") ||
      !j["context_dimensions"].is_array() || !j["constraints"].is_array()) {
    return bad("expected an object with 'context_dimensions' and 'constraints' arrays");
  }
  ContextConstraints out;
  out.coded_ = coded;
  std::map<std::string, size_t> slot;
  for (size_t k = 0; k < coded.size(); ++k) slot[coded[k]] = k;
  for (const auto& d : j["context_dimensions"]) {
    if (!d.is_string() || d.get<std::string>().empty()) return bad("a dimension is not a name");
    const std::string id = d.get<std::string>();
    if (!slot.emplace(id, coded.size() + out.context_.size()).second) {
      return bad("dimension '" + id + "' is named twice");
    }
    out.context_.push_back(id);
  }
  for (const auto& c : j["constraints"]) {
    if (!c.is_object() || !c.value("id", nlohmann::json()).is_string() ||
        !c.value("include", nlohmann::json()).is_array() ||
        !c.value("exclude", nlohmann::json()).is_array()) {
      return bad("a constraint needs 'id', 'include' and 'exclude'");
    }
    Constraint kept;
    kept.id = c["id"].get<std::string>();
    for (const auto& [name, list] : {std::pair{"include", &kept.include}, {"exclude", &kept.exclude}}) {
      for (const auto& region : c[name]) {
        if (!region.is_object()) return bad(kept.id + ": a region is not an object");
        Region r;
        for (const auto& [dim, values] : region.items()) {
          auto it = slot.find(dim);
          if (it == slot.end()) return bad(kept.id + ": unknown dimension '" + dim + "'");
          if (!values.is_array()) return bad(kept.id + ": the values of '" + dim + "'");
          std::vector<std::string> v;
          for (const auto& x : values) {
            if (!x.is_string()) return bad(kept.id + ": a value of '" + dim + "' is not a string");
            v.push_back(x.get<std::string>());
          }
          std::sort(v.begin(), v.end());
          r.values.emplace_back(it->second, std::move(v));
        }
        list->push_back(std::move(r));
      }
    }
    out.constraints_.push_back(std::move(kept));
  }
  return out;
}

std::vector<std::string> ContextConstraints::constraint_ids() const {
  std::vector<std::string> ids;
  for (const Constraint& c : constraints_) ids.push_back(c.id);
  return ids;
}

bool ContextConstraints::Matches(const Region& region, const std::vector<std::string>& key,
                                 const std::vector<std::string>& context,
                                 bool unknown_matches) const {
  for (const auto& [s, values] : region.values) {
    const std::string* v = nullptr;
    if (s < coded_.size()) {
      if (s < key.size()) v = &key[s];
    } else if (s - coded_.size() < context.size()) {
      v = &context[s - coded_.size()];
    }
    if (v == nullptr || v->empty()) {
      if (!unknown_matches) return false;
      continue;
    }
    if (!std::binary_search(values.begin(), values.end(), *v)) return false;
  }
  return true;
}

bool ContextConstraints::Allows(const std::vector<std::string>& key,
                                const std::vector<std::string>& context) const {
  for (const Constraint& c : constraints_) {
    if (!c.include.empty() &&
        std::none_of(c.include.begin(), c.include.end(),
                     [&](const Region& r) { return Matches(r, key, context, true); })) {
      return false;
    }
    for (const Region& r : c.exclude) {
      if (Matches(r, key, context, false)) return false;
    }
  }
  return true;
}

}  // namespace statcoder::sdmx
