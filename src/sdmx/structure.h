// SDMX structures read from files: code lists, data structure definitions (DSDs), dataflows and
// content constraints, from SDMX-ML 2.1 structure messages (XML) and SDMX-JSON structure
// messages. statcoder uses them to code a series to an SDMX key: the DSD names the dimensions
// and their code lists, the constraints say which combinations of codes are allowed.
//
//   ASSIGN_OR_RETURN(sdmx::StructureMessage msg, sdmx::LoadStructure("ifs_structure.xml"));
//   ASSIGN_OR_RETURN(const sdmx::DataStructure* dsd, sdmx::SelectStructure(msg, ""));
//   ASSIGN_OR_RETURN(sdmx::AllowedKeys keys,
//                    sdmx::AllowedKeysFor(msg, *dsd, {"CONCEPT", "UNIT"}, sdmx::kMaxAllowedKeys));
//
// Only what coding needs is kept (ids, names, references, constraints); annotations, contacts,
// categorisations and the rest of a message are skipped. Every reference a kept artefact makes
// (a dimension's code list, a dataflow's DSD, a constraint's dimension and values) is checked
// when the message is read, and an error names the element that is wrong.
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace statcoder::sdmx {

// A structure file larger than this is refused before it is read.
inline constexpr uint64_t kMaxStructureFileBytes = 256ull << 20;
// AllowedKeysFor refuses to enumerate more keys than this (a joint model scores every allowed
// key of every record).
inline constexpr size_t kMaxAllowedKeys = 1'000'000;

// An artefact's identity: AGENCY:ID(VERSION), as SDMX-CSV's STRUCTURE_ID writes it.
struct ArtefactRef {
  std::string agency, id, version;
  std::string ToString() const;
  bool operator==(const ArtefactRef&) const = default;
  // Whether `text` names this artefact: its ID alone, AGENCY:ID or AGENCY:ID(VERSION).
  bool Matches(std::string_view text) const;
};

// "urn:sdmx:org.sdmx.infomodel.codelist.Codelist=IMF:CL_FREQ(1.0)" → IMF, CL_FREQ, 1.0. An item's
// URN ("...Concept=IMF:CONCEPTS(1.0).FREQ") gives its scheme and, in `item`, the item's id.
bool ParseUrn(std::string_view urn, ArtefactRef* ref, std::string* item = nullptr);

struct Code {
  std::string id, name, parent;  // parent: "" at the top
};

struct Codelist {
  ArtefactRef ref;
  std::string name;
  std::vector<Code> codes;
  // Index of the code, or -1.
  int64_t Find(std::string_view id) const;
};

struct Dimension {
  std::string id;
  int position = 0;        // 1-based, as the DSD gives it (or its order)
  ArtefactRef codelist;    // empty id: not coded (free text, or the time dimension)
  bool time = false;       // the TimeDimension
};

struct DataStructure {
  ArtefactRef ref;
  std::string name;
  std::vector<Dimension> dimensions;  // by position; the time dimension last
  const Dimension* FindDimension(std::string_view id) const;
};

struct Dataflow {
  ArtefactRef ref;
  std::string name;
  ArtefactRef structure;
};

// One region of a content constraint: for each listed dimension, its values. A dimension the
// region does not list is unrestricted by it.
struct CubeRegion {
  bool include = true;
  std::vector<std::pair<std::string, std::vector<std::string>>> key_values;
};

// Keys listed one by one (a DataKeySet); a key may leave dimensions out (wildcards).
struct KeySet {
  bool include = true;
  std::vector<std::vector<std::pair<std::string, std::string>>> keys;
};

struct ContentConstraint {
  ArtefactRef ref;
  std::string type = "Allowed";  // "Allowed" or "Actual"
  std::vector<ArtefactRef> attached_structures, attached_dataflows;
  std::vector<CubeRegion> cube_regions;
  std::vector<KeySet> key_sets;
};

struct StructureMessage {
  std::string source;  // the file, for messages
  std::string format;  // "SDMX-ML 2.1" or "SDMX-JSON"
  std::vector<Codelist> codelists;
  std::vector<DataStructure> structures;
  std::vector<Dataflow> dataflows;
  std::vector<ContentConstraint> constraints;
  const Codelist* FindCodelist(const ArtefactRef& ref) const;
};

// Reads a structure file: SDMX-ML when it starts with '<', SDMX-JSON when with '{'. The size is
// checked before the file is read. Errors: kNotFound, kIoError, kLimitExceeded,
// kUnsupportedVersion (e.g. an SDMX-ML 3.0 message), kInvalidInput (malformed, naming the
// element and, for XML, the byte offset).
core::Result<StructureMessage> LoadStructure(const std::string& path);
core::Result<StructureMessage> ParseStructureXml(std::string_view bytes, const std::string& source);
core::Result<StructureMessage> ParseStructureJson(std::string_view bytes,
                                                  const std::string& source);

// Checks what the parsers produced: unique codes, resolvable references, constraint values
// that are codes of their dimension. The parsers call it; exposed for tests.
core::Status CheckReferences(const StructureMessage& message);

// The DSD `wanted` names (its id, AGENCY:ID or AGENCY:ID(VERSION), or a dataflow's); empty: the
// only DSD of the message. Errors name the DSDs there are.
core::Result<const DataStructure*> SelectStructure(const StructureMessage& message,
                                                   std::string_view wanted);

// Whether constraint `c` is attached to `dsd`, directly or through one of its dataflows.
bool ConstraintAppliesTo(const StructureMessage& message, const ContentConstraint& c,
                         const DataStructure& dsd);

struct AllowedKeys {
  std::vector<std::vector<std::string>> keys;  // one code per requested dimension, sorted
  // What the keys come from, for the model's record: the constraints' ids, or "code lists".
  std::vector<std::string> constraints;
};

// The combinations of codes of `dimensions` (ids of `dsd`'s coded dimensions) that the
// message's Allowed content constraints attached to `dsd` or to one of its dataflows permit:
// within a constraint, the union of its included cube regions and key sets less its excluded
// ones (an exclusion counts only when every dimension it names is requested, since the others
// are not decided here); across constraints, the intersection. Without such a constraint:
// every combination of the code lists. Errors: kInvalidArgument (unknown or uncoded
// dimension), kLimitExceeded (more than `limit` keys).
core::Result<AllowedKeys> AllowedKeysFor(const StructureMessage& message,
                                         const DataStructure& dsd,
                                         const std::vector<std::string>& dimensions, size_t limit);

}  // namespace statcoder::sdmx
