// ContextConstraints: the part of a structure's Allowed content constraints that ties the
// dimensions a model codes (INDICATOR, UNIT...) to dimensions the input carries and coding only
// copies (FREQ, REF_AREA...). "This indicator is reported quarterly only" is such a constraint:
// AllowedKeysFor, which sees the coded dimensions alone, must keep the indicator (some record
// may be quarterly), so a monthly record could be given it. Kept in the model, these rules
// restrict each record at coding to the keys its own context allows.
//
//   ASSIGN_OR_RETURN(ContextConstraints rules, ContextConstraints::From(msg, *dsd, {"INDICATOR"}));
//   model.metadata["sdmx"]["context_constraints"] = rules.ToJson();
//   ...
//   ASSIGN_OR_RETURN(ContextConstraints rules, ContextConstraints::FromJson(j, {"INDICATOR"}));
//   rules.Allows({"PCPI_IX"}, {"M", "DE"});  // context: one value per context_dimensions()
//
// Semantics match AllowedKeysFor's: within a constraint, a key must lie in one of its included
// cube regions or key sets (when it has any) and in none of its excluded ones; across
// constraints, every one must allow it. A context value that is not known ("": the input has
// no such column) is a wildcard: an inclusion matches it, an exclusion naming it does not
// apply. So with no context known, Allows is true exactly for the keys AllowedKeysFor gives.
// Only constraints naming at least one context dimension are kept: the others are already
// applied in full to the keys a model is trained with.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "sdmx/structure.h"

namespace statcoder::sdmx {

class ContextConstraints {
 public:
  ContextConstraints() = default;
  // From `dsd`'s Allowed constraints (attached to it or to one of its dataflows); `coded`: the
  // dimensions the model codes. The context dimensions are the other non-time dimensions some
  // kept constraint names.
  static core::Result<ContextConstraints> From(const StructureMessage& message,
                                               const DataStructure& dsd,
                                               const std::vector<std::string>& coded);
  // Reads what ToJson wrote (a model's metadata); checks every dimension named is coded or a
  // context dimension. Errors: kInvalidInput.
  static core::Result<ContextConstraints> FromJson(const nlohmann::json& j,
                                                   const std::vector<std::string>& coded);
  nlohmann::json ToJson() const;

  bool empty() const { return constraints_.empty(); }
  const std::vector<std::string>& context_dimensions() const { return context_; }
  // The kept constraints' ids, for messages.
  std::vector<std::string> constraint_ids() const;

  // Whether `key` (one code per coded dimension, in `coded` order) is allowed together with
  // `context` (one value per context_dimensions(); "" = unknown).
  bool Allows(const std::vector<std::string>& key, const std::vector<std::string>& context) const;

 private:
  // A cube region or one key of a key set: per named dimension (slot: coded index, then
  // coded.size() + context index), the values it allows (sorted).
  struct Region {
    std::vector<std::pair<size_t, std::vector<std::string>>> values;
  };
  struct Constraint {
    std::string id;
    std::vector<Region> include, exclude;
  };
  bool Matches(const Region& region, const std::vector<std::string>& key,
               const std::vector<std::string>& context, bool unknown_matches) const;

  std::vector<std::string> coded_, context_;
  std::vector<Constraint> constraints_;
};

}  // namespace statcoder::sdmx
