// SDMX-ML 2.1 structure messages (mes:Structure) through pugixml. Elements are matched by their
// local names, since producers use different prefixes for the same namespaces (str:, structure:,
// s:); the message namespace says which SDMX-ML version it is. pugixml expands no entities
// beyond XML's five and numeric references, and loads no DTD, so a hostile file cannot make it
// fetch anything or grow without bound.
#include <pugixml.hpp>

#include <algorithm>
#include <cstring>
#include <map>

#include "sdmx/structure.h"

namespace statcoder::sdmx {
namespace {

std::string_view LocalName(const pugi::xml_node& n) {
  std::string_view name = n.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Children with this local name.
std::vector<pugi::xml_node> Children(const pugi::xml_node& n, std::string_view local) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == local) out.push_back(c);
  }
  return out;
}

pugi::xml_node Child(const pugi::xml_node& n, std::string_view local) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == local) return c;
  }
  return {};
}

std::string Text(const pugi::xml_node& n) {
  std::string t = n.child_value();
  const size_t b = t.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return t.substr(b, t.find_last_not_of(" \t\r\n") - b + 1);
}

// The English name when there is one, else the first.
std::string Name(const pugi::xml_node& n) {
  std::string first;
  for (const pugi::xml_node& name : Children(n, "Name")) {
    const char* lang = name.attribute("xml:lang").value();
    if (std::strcmp(lang, "en") == 0) return Text(name);
    if (first.empty()) first = Text(name);
  }
  return first;
}


// A reference element's target: a <Ref .../> child (maintainable, or an item with
// maintainableParentID) or a <URN> child.
struct Reference {
  ArtefactRef maintainable;  // the artefact, or the scheme of an item
  std::string item;          // the item's id when the reference is to an item
};

bool ReadReference(const pugi::xml_node& holder, Reference* out) {
  if (pugi::xml_node ref = Child(holder, "Ref")) {
    const char* parent = ref.attribute("maintainableParentID").value();
    out->maintainable.agency = ref.attribute("agencyID").value();
    if (*parent != '\0') {
      out->maintainable.id = parent;
      out->maintainable.version = ref.attribute("maintainableParentVersion").value();
      out->item = ref.attribute("id").value();
    } else {
      out->maintainable.id = ref.attribute("id").value();
      out->maintainable.version = ref.attribute("version").value();
    }
    return !out->maintainable.id.empty();
  }
  if (pugi::xml_node urn = Child(holder, "URN")) {
    return ParseUrn(Text(urn), &out->maintainable, &out->item);
  }
  return false;
}

class Reader {
 public:
  explicit Reader(std::string source) { msg_.source = std::move(source); }

  core::Result<StructureMessage> Read(std::string_view bytes) {
    pugi::xml_document doc;
    const pugi::xml_parse_result parsed =
        doc.load_buffer(bytes.data(), bytes.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!parsed) {
      return core::InvalidInput(msg_.source + ": not well-formed XML at byte " +
                                std::to_string(parsed.offset) + ": " + parsed.description());
    }
    const pugi::xml_node root = doc.document_element();
    if (LocalName(root) != "Structure") {
      return core::InvalidInput(msg_.source + ": the root element is <" +
                                std::string(root.name()) +
                                ">, not an SDMX-ML structure message (<Structure>)");
    }
    RETURN_IF_ERROR(CheckVersion(root));
    msg_.format = "SDMX-ML 2.1";
    const pugi::xml_node structures = Child(root, "Structures");
    if (!structures) {
      return core::InvalidInput(msg_.source + ": the message has no <Structures> element");
    }
    for (const auto& schemes : Children(structures, "Concepts")) {
      for (const auto& scheme : Children(schemes, "ConceptScheme")) RETURN_IF_ERROR(ReadConcepts(scheme));
    }
    for (const auto& lists : Children(structures, "Codelists")) {
      for (const auto& list : Children(lists, "Codelist")) RETURN_IF_ERROR(ReadCodelist(list));
    }
    for (const auto& dsds : Children(structures, "DataStructures")) {
      for (const auto& dsd : Children(dsds, "DataStructure")) RETURN_IF_ERROR(ReadStructure(dsd));
    }
    for (const auto& flows : Children(structures, "Dataflows")) {
      for (const auto& flow : Children(flows, "Dataflow")) RETURN_IF_ERROR(ReadDataflow(flow));
    }
    for (const auto& constraints : Children(structures, "Constraints")) {
      for (const auto& c : Children(constraints, "ContentConstraint")) {
        RETURN_IF_ERROR(ReadConstraint(c));
      }
    }
    RETURN_IF_ERROR(CheckReferences(msg_));
    return std::move(msg_);
  }

 private:
  core::Status CheckVersion(const pugi::xml_node& root) {
    std::string namespaces;
    for (pugi::xml_attribute a = root.first_attribute(); a; a = a.next_attribute()) {
      const std::string_view name = a.name(), value = a.value();
      if (name.substr(0, 5) != "xmlns") continue;
      if (value.find("sdmxml/schemas/v2_1/message") != std::string_view::npos) return core::Status::Ok();
      if (value.find("sdmxml/schemas/v3_0/") != std::string_view::npos ||
          value.find("sdmxml/schemas/v2_0/") != std::string_view::npos) {
        return core::UnsupportedVersion(msg_.source + ": an SDMX-ML message of namespace '" +
                                        std::string(value) +
                                        "'; statcoder reads SDMX-ML 2.1 and SDMX-JSON structures");
      }
      namespaces += (namespaces.empty() ? "" : ", ") + std::string(value);
    }
    return core::InvalidInput(msg_.source + ": <Structure> is not in the SDMX-ML 2.1 message "
                              "namespace (http://www.sdmx.org/resources/sdmxml/schemas/v2_1/"
                              "message); its namespaces: " +
                              (namespaces.empty() ? std::string("none") : namespaces));
  }

  core::Result<ArtefactRef> Identity(const pugi::xml_node& n, std::string_view element) {
    ArtefactRef r{n.attribute("agencyID").value(), n.attribute("id").value(),
                  n.attribute("version").value()};
    if (r.version.empty()) r.version = "1.0";  // the schema's default
    if (r.id.empty() || r.agency.empty()) {
      return core::InvalidInput(msg_.source + ": <" + std::string(element) + "> at byte " +
                                std::to_string(n.offset_debug()) +
                                " lacks its id or agencyID attribute");
    }
    return r;
  }

  core::Status ReadConcepts(const pugi::xml_node& scheme) {
    ASSIGN_OR_RETURN(ArtefactRef ref, Identity(scheme, "ConceptScheme"));
    for (const auto& concept_node : Children(scheme, "Concept")) {
      Reference enumeration;
      const pugi::xml_node rep = Child(Child(concept_node, "CoreRepresentation"), "Enumeration");
      if (rep && ReadReference(rep, &enumeration)) {
        concept_codelists_[ref.ToString() + "." + concept_node.attribute("id").value()] =
            enumeration.maintainable;
      }
    }
    return core::Status::Ok();
  }

  core::Status ReadCodelist(const pugi::xml_node& node) {
    Codelist list;
    ASSIGN_OR_RETURN(list.ref, Identity(node, "Codelist"));
    list.name = Name(node);
    const std::string where = msg_.source + ": Codelist " + list.ref.ToString();
    for (const auto& code_node : Children(node, "Code")) {
      Code code{code_node.attribute("id").value(), Name(code_node), ""};
      if (code.id.empty()) {
        return core::InvalidInput(where + ": <Code> number " +
                                  std::to_string(list.codes.size() + 1) + " has no id");
      }
      if (pugi::xml_node parent = Child(code_node, "Parent")) {
        Reference r;
        if (pugi::xml_node ref = Child(parent, "Ref")) {
          code.parent = ref.attribute("id").value();
        } else if (ReadReference(parent, &r)) {
          code.parent = r.item;
        }
        if (code.parent.empty()) {
          return core::InvalidInput(where + " code '" + code.id + "': <Parent> names no code");
        }
      }
      list.codes.push_back(std::move(code));
    }
    msg_.codelists.push_back(std::move(list));
    return core::Status::Ok();
  }

  core::Status ReadDimension(const pugi::xml_node& node, const std::string& where, bool time,
                             DataStructure* dsd) {
    Dimension dim;
    dim.id = node.attribute("id").value();
    dim.time = time;
    if (dim.id.empty()) return core::InvalidInput(where + ": a dimension has no id");
    const char* position = node.attribute("position").value();
    dim.position = *position != '\0' ? std::atoi(position)
                                     : static_cast<int>(dsd->dimensions.size()) + 1;
    Reference enumeration;
    const pugi::xml_node rep = Child(Child(node, "LocalRepresentation"), "Enumeration");
    if (rep) {
      if (!ReadReference(rep, &enumeration)) {
        return core::InvalidInput(where + " Dimension " + dim.id +
                                  ": <Enumeration> holds no reference to a code list");
      }
      dim.codelist = enumeration.maintainable;
    } else if (pugi::xml_node identity = Child(node, "ConceptIdentity")) {
      // No local representation: the concept's core representation, when the message has it.
      Reference concept_ref;
      if (ReadReference(identity, &concept_ref)) {
        ArtefactRef scheme = concept_ref.maintainable;
        if (scheme.version.empty()) scheme.version = "1.0";
        auto it = concept_codelists_.find(scheme.ToString() + "." + concept_ref.item);
        if (it != concept_codelists_.end()) dim.codelist = it->second;
      }
    }
    if (!dim.codelist.id.empty() && dim.codelist.version.empty()) dim.codelist.version = "1.0";
    dsd->dimensions.push_back(std::move(dim));
    return core::Status::Ok();
  }

  core::Status ReadStructure(const pugi::xml_node& node) {
    DataStructure dsd;
    ASSIGN_OR_RETURN(dsd.ref, Identity(node, "DataStructure"));
    dsd.name = Name(node);
    const std::string where = msg_.source + ": DataStructure " + dsd.ref.ToString();
    const pugi::xml_node list = Child(Child(node, "DataStructureComponents"), "DimensionList");
    if (!list) return core::InvalidInput(where + " has no <DimensionList>");
    for (pugi::xml_node c = list.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      const std::string_view local = LocalName(c);
      if (local == "Dimension" || local == "MeasureDimension") {
        RETURN_IF_ERROR(ReadDimension(c, where, false, &dsd));
      }
    }
    for (const auto& t : Children(list, "TimeDimension")) {
      RETURN_IF_ERROR(ReadDimension(t, where, true, &dsd));
    }
    if (dsd.dimensions.empty()) return core::InvalidInput(where + " has no dimensions");
    std::stable_sort(dsd.dimensions.begin(), dsd.dimensions.end(),
                     [](const Dimension& a, const Dimension& b) {
                       return a.time != b.time ? !a.time : a.position < b.position;
                     });
    msg_.structures.push_back(std::move(dsd));
    return core::Status::Ok();
  }

  core::Status ReadDataflow(const pugi::xml_node& node) {
    Dataflow flow;
    ASSIGN_OR_RETURN(flow.ref, Identity(node, "Dataflow"));
    flow.name = Name(node);
    Reference r;
    if (pugi::xml_node s = Child(node, "Structure"); s && ReadReference(s, &r)) {
      flow.structure = r.maintainable;
      if (flow.structure.version.empty()) flow.structure.version = "1.0";
    }
    msg_.dataflows.push_back(std::move(flow));
    return core::Status::Ok();
  }

  core::Result<std::vector<std::string>> Values(const pugi::xml_node& key_value,
                                                const std::string& where) {
    std::vector<std::string> values;
    for (const auto& v : Children(key_value, "Value")) values.push_back(Text(v));
    if (values.empty()) {
      return core::InvalidInput(where + ": <KeyValue id=\"" +
                                std::string(key_value.attribute("id").value()) +
                                "\"> lists no <Value> (statcoder does not read TimeRange "
                                "constraints on coded dimensions)");
    }
    return values;
  }

  static bool Included(const pugi::xml_node& n, const char* attribute) {
    const pugi::xml_attribute a = n.attribute(attribute);
    return !a || a.as_bool(true);
  }

  core::Status ReadConstraint(const pugi::xml_node& node) {
    ContentConstraint c;
    ASSIGN_OR_RETURN(c.ref, Identity(node, "ContentConstraint"));
    const std::string type = node.attribute("type").value();
    c.type = type.empty() ? "Actual" : type;  // the schema's default
    if (c.type != "Allowed" && c.type != "Actual") {
      return core::InvalidInput(msg_.source + ": ContentConstraint " + c.ref.ToString() +
                                " has type '" + type + "' (Allowed or Actual)");
    }
    const std::string where = msg_.source + ": ContentConstraint " + c.ref.ToString();
    if (pugi::xml_node attachment = Child(node, "ConstraintAttachment")) {
      for (const auto& s : Children(attachment, "DataStructure")) {
        Reference r;
        if (ReadReference(s, &r)) c.attached_structures.push_back(r.maintainable);
      }
      for (const auto& f : Children(attachment, "Dataflow")) {
        Reference r;
        if (ReadReference(f, &r)) c.attached_dataflows.push_back(r.maintainable);
      }
    }
    for (auto* refs : {&c.attached_structures, &c.attached_dataflows}) {
      for (ArtefactRef& r : *refs) {
        if (r.version.empty()) r.version = "1.0";
      }
    }
    for (const auto& region_node : Children(node, "CubeRegion")) {
      CubeRegion region;
      region.include = Included(region_node, "include");
      for (const auto& kv : Children(region_node, "KeyValue")) {
        const std::string region_where =
            where + " CubeRegion " + std::to_string(c.cube_regions.size() + 1);
        ASSIGN_OR_RETURN(std::vector<std::string> values, Values(kv, region_where));
        region.key_values.emplace_back(kv.attribute("id").value(), std::move(values));
      }
      c.cube_regions.push_back(std::move(region));
    }
    for (const auto& set_node : Children(node, "DataKeySet")) {
      KeySet set;
      set.include = Included(set_node, "isIncluded");
      for (const auto& key_node : Children(set_node, "Key")) {
        std::vector<std::pair<std::string, std::string>> key;
        for (const auto& kv : Children(key_node, "KeyValue")) {
          const std::string key_where = where + " DataKeySet " +
                                        std::to_string(c.key_sets.size() + 1) + " Key " +
                                        std::to_string(set.keys.size() + 1);
          ASSIGN_OR_RETURN(std::vector<std::string> values, Values(kv, key_where));
          if (values.size() != 1) {
            return core::InvalidInput(key_where + ": a key gives one <Value> per dimension");
          }
          key.emplace_back(kv.attribute("id").value(), std::move(values.front()));
        }
        set.keys.push_back(std::move(key));
      }
      c.key_sets.push_back(std::move(set));
    }
    msg_.constraints.push_back(std::move(c));
    return core::Status::Ok();
  }

  StructureMessage msg_;
  // "AGENCY:SCHEME(VERSION).CONCEPT" → the concept's code list.
  std::map<std::string, ArtefactRef> concept_codelists_;
};

}  // namespace

core::Result<StructureMessage> ParseStructureXml(std::string_view bytes,
                                                 const std::string& source) {
  return Reader(source).Read(bytes);
}

}  // namespace statcoder::sdmx
