#include "sdmx/structure.h"

#include <algorithm>
#include <filesystem>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <unordered_set>

#include "core/file_util.h"

namespace statcoder::sdmx {
namespace {

// The same artefact: agency and id equal, and the versions too unless one is not given.
bool SameArtefact(const ArtefactRef& a, const ArtefactRef& b) {
  return a.agency == b.agency && a.id == b.id &&
         (a.version.empty() || b.version.empty() || a.version == b.version);
}

using Key = std::vector<std::string>;
using KeySetOf = std::set<Key>;

// Multiplies sizes, saturating at `cap` + 1 so that overflow cannot hide a huge product.
size_t ProductSize(const std::vector<const std::vector<std::string>*>& lists, size_t cap) {
  size_t n = 1;
  for (const auto* l : lists) {
    if (l->empty()) return 0;
    if (n > cap / l->size()) return cap + 1;
    n *= l->size();
  }
  return n;
}

core::Status AddProduct(const std::vector<const std::vector<std::string>*>& lists, size_t limit,
                        const std::string& what, KeySetOf* out) {
  const size_t n = ProductSize(lists, limit);
  if (n > limit) {
    return core::LimitExceeded(what + " allows more than " + std::to_string(limit) +
                               " combinations of the requested dimensions; statcoder enumerates "
                               "at most " + std::to_string(limit) + " allowed keys (give "
                               "--valid-keys with the keys that may occur, or code fewer "
                               "dimensions jointly)");
  }
  std::vector<size_t> at(lists.size(), 0);
  for (size_t i = 0; i < n; ++i) {
    Key key(lists.size());
    for (size_t k = 0; k < lists.size(); ++k) key[k] = (*lists[k])[at[k]];
    out->insert(std::move(key));
    for (size_t k = lists.size(); k-- > 0;) {
      if (++at[k] < lists[k]->size()) break;
      at[k] = 0;
    }
  }
  if (out->size() > limit) {
    return core::LimitExceeded(what + " allow more than " + std::to_string(limit) +
                               " keys of the requested dimensions");
  }
  return core::Status::Ok();
}

}  // namespace

bool ConstraintAppliesTo(const StructureMessage& m, const ContentConstraint& c,
                         const DataStructure& dsd) {
  for (const ArtefactRef& r : c.attached_structures) {
    if (SameArtefact(r, dsd.ref)) return true;
  }
  for (const ArtefactRef& r : c.attached_dataflows) {
    for (const Dataflow& f : m.dataflows) {
      if (SameArtefact(r, f.ref) && SameArtefact(f.structure, dsd.ref)) return true;
    }
  }
  return false;
}

bool ParseUrn(std::string_view urn, ArtefactRef* ref, std::string* item) {
  const size_t eq = urn.find('=');
  if (eq == std::string_view::npos) return false;
  const std::string_view rest = urn.substr(eq + 1);
  const size_t colon = rest.find(':'), open = rest.find('('), close = rest.find(')');
  if (colon == std::string_view::npos || open == std::string_view::npos ||
      close == std::string_view::npos || !(colon < open && open < close)) {
    return false;
  }
  ref->agency = std::string(rest.substr(0, colon));
  ref->id = std::string(rest.substr(colon + 1, open - colon - 1));
  ref->version = std::string(rest.substr(open + 1, close - open - 1));
  if (item != nullptr) {
    *item = close + 1 < rest.size() && rest[close + 1] == '.' ? std::string(rest.substr(close + 2))
                                                              : std::string();
  }
  return !ref->agency.empty() && !ref->id.empty();
}

std::string ArtefactRef::ToString() const {
  return agency + ":" + id + "(" + (version.empty() ? "1.0" : version) + ")";
}

bool ArtefactRef::Matches(std::string_view text) const {
  return text == id || text == agency + ":" + id || text == ToString();
}

int64_t Codelist::Find(std::string_view id) const {
  for (size_t i = 0; i < codes.size(); ++i) {
    if (codes[i].id == id) return static_cast<int64_t>(i);
  }
  return -1;
}

const Dimension* DataStructure::FindDimension(std::string_view id) const {
  for (const Dimension& d : dimensions) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

const Codelist* StructureMessage::FindCodelist(const ArtefactRef& ref) const {
  for (const Codelist& c : codelists) {
    if (SameArtefact(c.ref, ref)) return &c;
  }
  return nullptr;
}

core::Result<StructureMessage> LoadStructure(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return core::NotFound("cannot read SDMX structure file '" + path + "': " + ec.message());
  if (size > kMaxStructureFileBytes) {
    return core::LimitExceeded("SDMX structure file '" + path + "' has " + std::to_string(size) +
                               " bytes; the limit is " + std::to_string(kMaxStructureFileBytes));
  }
  ASSIGN_OR_RETURN(std::string bytes, core::ReadFile(path, kMaxStructureFileBytes));
  size_t first = 0;
  if (bytes.compare(0, 3, "\xEF\xBB\xBF") == 0) first = 3;  // UTF-8 byte order mark
  while (first < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[first]))) ++first;
  if (first < bytes.size() && bytes[first] == '<') return ParseStructureXml(bytes, path);
  if (first < bytes.size() && bytes[first] == '{') return ParseStructureJson(bytes, path);
  return core::InvalidInput("'" + path + "' is neither an SDMX-ML (XML) nor an SDMX-JSON "
                            "structure message");
}

core::Status CheckReferences(const StructureMessage& m) {
  const std::string& src = m.source;
  for (const Codelist& c : m.codelists) {
    std::unordered_set<std::string> seen;
    for (const Code& code : c.codes) {
      if (!seen.insert(code.id).second) {
        return core::InvalidInput(src + ": Codelist " + c.ref.ToString() + " has code '" +
                                  code.id + "' twice");
      }
    }
    for (const Code& code : c.codes) {
      if (!code.parent.empty() && !seen.count(code.parent)) {
        return core::InvalidInput(src + ": Codelist " + c.ref.ToString() + " code '" + code.id +
                                  "' has parent '" + code.parent + "', which is not in the list");
      }
    }
  }
  for (const DataStructure& d : m.structures) {
    std::unordered_set<std::string> ids;
    for (const Dimension& dim : d.dimensions) {
      if (!ids.insert(dim.id).second) {
        return core::InvalidInput(src + ": DataStructure " + d.ref.ToString() +
                                  " has dimension '" + dim.id + "' twice");
      }
      if (!dim.codelist.id.empty() && m.FindCodelist(dim.codelist) == nullptr) {
        return core::InvalidInput(src + ": DataStructure " + d.ref.ToString() + " Dimension " +
                                  dim.id + ": its code list " + dim.codelist.ToString() +
                                  " is not in the message (statcoder reads no external "
                                  "references; export the structure with its code lists)");
      }
    }
  }
  // A dataflow whose DSD is not in the message is harmless unless it is selected
  // (SelectStructure says so then).
  for (const ContentConstraint& c : m.constraints) {
    const std::string where = src + ": ContentConstraint " + c.ref.ToString();
    // The DSDs the constraint applies to, to check its dimension ids and values against.
    std::vector<const DataStructure*> targets;
    for (const DataStructure& d : m.structures) {
      if (ConstraintAppliesTo(m, c, d)) targets.push_back(&d);
    }
    const auto check = [&](const std::string& dim_id, const std::string& value,
                           const std::string& element) -> core::Status {
      for (const DataStructure* d : targets) {
        const Dimension* dim = d->FindDimension(dim_id);
        if (dim == nullptr) {
          return core::InvalidInput(where + " " + element + ": '" + dim_id +
                                    "' is not a dimension of " + d->ref.ToString());
        }
        const Codelist* list = dim->codelist.id.empty() ? nullptr : m.FindCodelist(dim->codelist);
        if (list != nullptr && list->Find(value) < 0) {
          return core::InvalidInput(where + " " + element + " " + dim_id + ": value '" + value +
                                    "' is not a code of " + list->ref.ToString());
        }
      }
      return core::Status::Ok();
    };
    for (size_t i = 0; i < c.cube_regions.size(); ++i) {
      for (const auto& [dim, values] : c.cube_regions[i].key_values) {
        for (const std::string& v : values) {
          RETURN_IF_ERROR(check(dim, v, "CubeRegion " + std::to_string(i + 1) + " KeyValue"));
        }
      }
    }
    for (size_t i = 0; i < c.key_sets.size(); ++i) {
      for (size_t k = 0; k < c.key_sets[i].keys.size(); ++k) {
        for (const auto& [dim, v] : c.key_sets[i].keys[k]) {
          RETURN_IF_ERROR(check(dim, v, "DataKeySet " + std::to_string(i + 1) + " Key " +
                                            std::to_string(k + 1)));
        }
      }
    }
  }
  return core::Status::Ok();
}

core::Result<const DataStructure*> SelectStructure(const StructureMessage& m,
                                                   std::string_view wanted) {
  std::string names;
  for (const DataStructure& d : m.structures) names += (names.empty() ? "" : ", ") + d.ref.ToString();
  if (m.structures.empty()) {
    return core::InvalidInput(m.source + " holds no data structure definition (DataStructure)");
  }
  if (wanted.empty()) {
    if (m.structures.size() == 1) return &m.structures.front();
    return core::InvalidArgument(m.source + " holds several data structures (" + names +
                                 "); name one");
  }
  for (const DataStructure& d : m.structures) {
    if (d.ref.Matches(wanted)) return &d;
  }
  for (const Dataflow& f : m.dataflows) {
    if (!f.ref.Matches(wanted)) continue;
    for (const DataStructure& d : m.structures) {
      if (SameArtefact(d.ref, f.structure)) return &d;
    }
    return core::InvalidInput(m.source + ": dataflow " + f.ref.ToString() + " uses " +
                              f.structure.ToString() + ", which is not in the message");
  }
  return core::InvalidArgument(m.source + " has no data structure or dataflow '" +
                               std::string(wanted) + "' (data structures: " + names + ")");
}

core::Result<AllowedKeys> AllowedKeysFor(const StructureMessage& m, const DataStructure& dsd,
                                         const std::vector<std::string>& dimensions,
                                         size_t limit) {
  // The code list of each requested dimension, as ids.
  std::vector<std::vector<std::string>> full(dimensions.size());
  std::map<std::string, size_t> index;
  for (size_t k = 0; k < dimensions.size(); ++k) {
    const Dimension* dim = dsd.FindDimension(dimensions[k]);
    if (dim == nullptr) {
      std::string ids;
      for (const Dimension& d : dsd.dimensions) ids += (ids.empty() ? "" : ", ") + d.id;
      return core::InvalidArgument("'" + dimensions[k] + "' is not a dimension of " +
                                   dsd.ref.ToString() + " (its dimensions: " + ids + ")");
    }
    const Codelist* list = dim->codelist.id.empty() ? nullptr : m.FindCodelist(dim->codelist);
    if (list == nullptr) {
      return core::InvalidArgument("dimension '" + dim->id + "' of " + dsd.ref.ToString() +
                                   " has no code list, so it cannot be coded");
    }
    if (!index.emplace(dimensions[k], k).second) {
      return core::InvalidArgument("dimension '" + dimensions[k] + "' is requested twice");
    }
    for (const Code& c : list->codes) full[k].push_back(c.id);
  }
  std::vector<const std::vector<std::string>*> all;
  for (const auto& l : full) all.push_back(&l);

  AllowedKeys out;
  std::optional<KeySetOf> result;  // nullopt: unrestricted so far
  for (const ContentConstraint& c : m.constraints) {
    if (c.type != "Allowed" || !ConstraintAppliesTo(m, c, dsd)) continue;
    const std::string what = "content constraint " + c.ref.ToString();
    out.constraints.push_back(c.ref.ToString());
    KeySetOf allowed;
    bool any_include = false;
    std::vector<std::vector<std::string>> restricted(dimensions.size());
    for (const CubeRegion& region : c.cube_regions) {
      if (!region.include) continue;
      any_include = true;
      std::vector<const std::vector<std::string>*> lists = all;
      for (const auto& [dim, values] : region.key_values) {
        auto it = index.find(dim);
        if (it == index.end()) continue;
        restricted[it->second] = values;
        lists[it->second] = &restricted[it->second];
      }
      RETURN_IF_ERROR(AddProduct(lists, limit, what, &allowed));
    }
    for (const KeySet& set : c.key_sets) {
      if (!set.include) continue;
      any_include = true;
      for (const auto& key : set.keys) {
        std::vector<const std::vector<std::string>*> lists = all;
        std::vector<std::vector<std::string>> one(dimensions.size());
        for (const auto& [dim, value] : key) {
          auto it = index.find(dim);
          if (it == index.end()) continue;
          one[it->second] = {value};
          lists[it->second] = &one[it->second];
        }
        RETURN_IF_ERROR(AddProduct(lists, limit, what, &allowed));
      }
    }
    if (!any_include) RETURN_IF_ERROR(AddProduct(all, limit, what, &allowed));
    // Exclusions that name only requested dimensions.
    const auto excluded_by = [&](const Key& key,
                                 const std::vector<std::pair<std::string, std::vector<std::string>>>&
                                     key_values) {
      for (const auto& [dim, values] : key_values) {
        const std::string& v = key[index.at(dim)];
        if (std::find(values.begin(), values.end(), v) == values.end()) return false;
      }
      return true;
    };
    const auto names_only_requested = [&](const auto& key_values) {
      return !key_values.empty() &&
             std::all_of(key_values.begin(), key_values.end(),
                         [&](const auto& kv) { return index.count(kv.first) > 0; });
    };
    for (const CubeRegion& region : c.cube_regions) {
      if (region.include || !names_only_requested(region.key_values)) continue;
      std::erase_if(allowed, [&](const Key& key) { return excluded_by(key, region.key_values); });
    }
    for (const KeySet& set : c.key_sets) {
      if (set.include) continue;
      for (const auto& key_pairs : set.keys) {
        std::vector<std::pair<std::string, std::vector<std::string>>> kv;
        for (const auto& [dim, value] : key_pairs) kv.push_back({dim, {value}});
        if (!names_only_requested(kv)) continue;
        std::erase_if(allowed, [&](const Key& key) { return excluded_by(key, kv); });
      }
    }
    if (!result) {
      result = std::move(allowed);
    } else {
      std::erase_if(*result, [&](const Key& key) { return !allowed.count(key); });
    }
  }
  if (!result) {
    result.emplace();
    RETURN_IF_ERROR(AddProduct(all, limit, "the code lists of " + dsd.ref.ToString(), &*result));
  }
  out.keys.assign(result->begin(), result->end());
  return out;
}

}  // namespace statcoder::sdmx
