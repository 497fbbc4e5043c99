// SDMX-JSON structure messages ({"data": {"codelists": [...], "dataStructures": [...], ...}}), as
// SDMX-JSON 1.0 (SDMX 2.1) writes them; the 2.0 names of the same things (dataConstraints,
// "include" on a cube region, values as {"value": ...}) are read too. References are URNs.
#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "sdmx/structure.h"

namespace statcoder::sdmx {
namespace {

using nlohmann::json;


class Reader {
 public:
  explicit Reader(std::string source) { msg_.source = std::move(source); }

  core::Result<StructureMessage> Read(std::string_view bytes) {
    json doc = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      return core::InvalidInput(msg_.source + ": not valid JSON");
    }
    if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_object()) {
      return core::InvalidInput(msg_.source + ": not an SDMX-JSON structure message (no "
                                "\"data\" object)");
    }
    msg_.format = "SDMX-JSON";
    const json& data = doc["data"];
    try {
      for (const json& s : Array(data, "conceptSchemes")) ReadConcepts(s);
      for (const json& c : Array(data, "codelists")) RETURN_IF_ERROR(ReadCodelist(c));
      for (const json& d : Array(data, "dataStructures")) RETURN_IF_ERROR(ReadStructure(d));
      for (const json& f : Array(data, "dataflows")) RETURN_IF_ERROR(ReadDataflow(f));
      for (const char* key : {"contentConstraints", "dataConstraints"}) {
        for (const json& c : Array(data, key)) RETURN_IF_ERROR(ReadConstraint(c));
      }
    } catch (const json::exception& e) {
      return core::InvalidInput(msg_.source + ": " + context_ + ": " + e.what());
    }
    RETURN_IF_ERROR(CheckReferences(msg_));
    return std::move(msg_);
  }

 private:
  static const json& Array(const json& holder, const char* key) {
    static const json kEmpty = json::array();
    if (!holder.is_object() || !holder.contains(key)) return kEmpty;
    const json& a = holder[key];
    if (!a.is_array()) throw json::type_error::create(302, std::string("\"") + key +
                                                               "\" is not an array", &a);
    return a;
  }

  static std::string Str(const json& holder, const char* key) {
    if (!holder.is_object() || !holder.contains(key) || holder[key].is_null()) return "";
    return holder[key].get<std::string>();
  }

  static std::string Name(const json& o) {
    if (o.contains("name") && o["name"].is_string()) return o["name"].get<std::string>();
    if (o.contains("names") && o["names"].is_object() && !o["names"].empty()) {
      const json& names = o["names"];
      return names.contains("en") ? names["en"].get<std::string>()
                                  : names.begin()->get<std::string>();
    }
    return "";
  }

  core::Result<ArtefactRef> Identity(const json& o, const std::string& kind) {
    if (!o.is_object()) return core::InvalidInput(msg_.source + ": a " + kind + " is not an object");
    ArtefactRef r{Str(o, "agencyID"), Str(o, "id"), Str(o, "version")};
    if (r.version.empty()) r.version = "1.0";
    if (r.id.empty() || r.agency.empty()) {
      return core::InvalidInput(msg_.source + ": a " + kind + " lacks its \"id\" or \"agencyID\"");
    }
    context_ = kind + " " + r.ToString();
    return r;
  }

  core::Result<ArtefactRef> Urn(const std::string& urn, const std::string& where) {
    ArtefactRef r;
    if (!ParseUrn(urn, &r)) {
      return core::InvalidInput(msg_.source + ": " + where + ": '" + urn + "' is not an SDMX URN");
    }
    return r;
  }

  void ReadConcepts(const json& scheme) {
    ArtefactRef ref{Str(scheme, "agencyID"), Str(scheme, "id"), Str(scheme, "version")};
    if (ref.version.empty()) ref.version = "1.0";
    for (const json& c : Array(scheme, "concepts")) {
      const std::string urn =
          c.contains("coreRepresentation") ? Str(c["coreRepresentation"], "enumeration") : "";
      ArtefactRef list;
      if (!urn.empty() && ParseUrn(urn, &list)) {
        concept_codelists_[ref.ToString() + "." + Str(c, "id")] = list;
      }
    }
  }

  core::Status ReadCodelist(const json& o) {
    Codelist list;
    ASSIGN_OR_RETURN(list.ref, Identity(o, "Codelist"));
    list.name = Name(o);
    for (const json& c : Array(o, "codes")) {
      Code code{Str(c, "id"), Name(c), Str(c, "parent")};
      if (code.id.empty()) {
        return core::InvalidInput(msg_.source + ": Codelist " + list.ref.ToString() +
                                  ": code number " + std::to_string(list.codes.size() + 1) +
                                  " has no \"id\"");
      }
      list.codes.push_back(std::move(code));
    }
    msg_.codelists.push_back(std::move(list));
    return core::Status::Ok();
  }

  core::Status ReadDimension(const json& d, bool time, const std::string& where,
                             DataStructure* dsd) {
    Dimension dim;
    dim.id = Str(d, "id");
    dim.time = time;
    if (dim.id.empty()) return core::InvalidInput(msg_.source + ": " + where + ": a dimension has no id");
    dim.position = d.contains("position") && d["position"].is_number_integer()
                       ? d["position"].get<int>()
                       : static_cast<int>(dsd->dimensions.size()) + 1;
    const std::string local =
        d.contains("localRepresentation") ? Str(d["localRepresentation"], "enumeration") : "";
    if (!local.empty()) {
      ASSIGN_OR_RETURN(dim.codelist, Urn(local, where + " dimension " + dim.id));
    } else if (const std::string concept_urn = Str(d, "conceptIdentity"); !concept_urn.empty()) {
      ArtefactRef scheme;
      std::string item;
      if (ParseUrn(concept_urn, &scheme, &item)) {
        auto it = concept_codelists_.find(scheme.ToString() + "." + item);
        if (it != concept_codelists_.end()) dim.codelist = it->second;
      }
    }
    dsd->dimensions.push_back(std::move(dim));
    return core::Status::Ok();
  }

  core::Status ReadStructure(const json& o) {
    DataStructure dsd;
    ASSIGN_OR_RETURN(dsd.ref, Identity(o, "DataStructure"));
    dsd.name = Name(o);
    const std::string where = "DataStructure " + dsd.ref.ToString();
    const json* list = nullptr;
    if (o.contains("dataStructureComponents") && o["dataStructureComponents"].is_object() &&
        o["dataStructureComponents"].contains("dimensionList")) {
      list = &o["dataStructureComponents"]["dimensionList"];
    }
    if (list == nullptr || !list->is_object()) {
      return core::InvalidInput(msg_.source + ": " + where + " has no dimensionList");
    }
    for (const json& d : Array(*list, "dimensions")) RETURN_IF_ERROR(ReadDimension(d, false, where, &dsd));
    for (const json& d : Array(*list, "measureDimensions")) {
      RETURN_IF_ERROR(ReadDimension(d, false, where, &dsd));
    }
    for (const json& d : Array(*list, "timeDimensions")) RETURN_IF_ERROR(ReadDimension(d, true, where, &dsd));
    if (dsd.dimensions.empty()) return core::InvalidInput(msg_.source + ": " + where + " has no dimensions");
    std::stable_sort(dsd.dimensions.begin(), dsd.dimensions.end(),
                     [](const Dimension& a, const Dimension& b) {
                       return a.time != b.time ? !a.time : a.position < b.position;
                     });
    msg_.structures.push_back(std::move(dsd));
    return core::Status::Ok();
  }

  core::Status ReadDataflow(const json& o) {
    Dataflow flow;
    ASSIGN_OR_RETURN(flow.ref, Identity(o, "Dataflow"));
    flow.name = Name(o);
    if (const std::string urn = Str(o, "structure"); !urn.empty()) {
      ASSIGN_OR_RETURN(flow.structure, Urn(urn, "Dataflow " + flow.ref.ToString()));
    }
    msg_.dataflows.push_back(std::move(flow));
    return core::Status::Ok();
  }

  static bool Included(const json& o) {
    for (const char* key : {"isIncluded", "include"}) {
      if (o.contains(key)) return o[key].get<bool>();
    }
    return true;
  }

  static std::string ValueOf(const json& v) {
    return v.is_object() ? Str(v, "value") : v.get<std::string>();
  }

  core::Status ReadConstraint(const json& o) {
    ContentConstraint c;
    ASSIGN_OR_RETURN(c.ref, Identity(o, "ContentConstraint"));
    c.type = Str(o, "type");
    if (c.type.empty()) c.type = "Actual";
    if (c.type != "Allowed" && c.type != "Actual") {
      return core::InvalidInput(msg_.source + ": ContentConstraint " + c.ref.ToString() +
                                " has type '" + c.type + "' (Allowed or Actual)");
    }
    const std::string where = "ContentConstraint " + c.ref.ToString();
    if (o.contains("constraintAttachment")) {
      const json& a = o["constraintAttachment"];
      for (const json& u : Array(a, "dataStructures")) {
        ASSIGN_OR_RETURN(ArtefactRef r, Urn(u.get<std::string>(), where));
        c.attached_structures.push_back(r);
      }
      for (const json& u : Array(a, "dataflows")) {
        ASSIGN_OR_RETURN(ArtefactRef r, Urn(u.get<std::string>(), where));
        c.attached_dataflows.push_back(r);
      }
    }
    for (const json& r : Array(o, "cubeRegions")) {
      CubeRegion region;
      region.include = Included(r);
      for (const json& kv : Array(r, "keyValues")) {
        std::vector<std::string> values;
        for (const json& v : Array(kv, "values")) values.push_back(ValueOf(v));
        if (values.empty()) {
          return core::InvalidInput(msg_.source + ": " + where + " cube region " +
                                    std::to_string(c.cube_regions.size() + 1) + " key value '" +
                                    Str(kv, "id") + "' lists no values");
        }
        region.key_values.emplace_back(Str(kv, "id"), std::move(values));
      }
      c.cube_regions.push_back(std::move(region));
    }
    for (const json& s : Array(o, "dataKeySets")) {
      KeySet set;
      set.include = Included(s);
      for (const json& k : Array(s, "keys")) {
        std::vector<std::pair<std::string, std::string>> key;
        for (const json& kv : Array(k, "keyValues")) {
          key.emplace_back(Str(kv, "id"), kv.contains("value") ? ValueOf(kv["value"]) : "");
          if (key.back().second.empty()) {
            return core::InvalidInput(msg_.source + ": " + where + " data key set " +
                                      std::to_string(c.key_sets.size() + 1) + " key " +
                                      std::to_string(set.keys.size() + 1) + ": dimension '" +
                                      key.back().first + "' has no value");
          }
        }
        set.keys.push_back(std::move(key));
      }
      c.key_sets.push_back(std::move(set));
    }
    msg_.constraints.push_back(std::move(c));
    return core::Status::Ok();
  }

  StructureMessage msg_;
  std::map<std::string, ArtefactRef> concept_codelists_;
  std::string context_ = "the message";
};

}  // namespace

core::Result<StructureMessage> ParseStructureJson(std::string_view bytes,
                                                  const std::string& source) {
  return Reader(source).Read(bytes);
}

}  // namespace statcoder::sdmx
