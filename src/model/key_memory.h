// KeyMemory: the codes a person confirmed before for a reporter's series, reused first. A
// country's recurring submission (the same reporter, the same descriptor, month after month) is
// then coded by its history instead of by the model, as the IMF's coders do by hand.
//
//   ASSIGN_OR_RETURN(KeyMemory memory,
//                    KeyMemory::Load("confirmed.tsv", "reporter", {"descriptor", "unit_text"},
//                                    joint));
//   if (const auto* codes = memory.Lookup("FR", {"Taux directeur", "%"})) ...  // one per member
//
// The file has a header: the reporter column, the model's text fields and its label fields (the
// codes, e.g. the reviewed output of an earlier batch); other columns are ignored. The key is
// the reporter and the text fields normalised as the knowledge base does (Unicode NFKC, case
// folding, collapsed whitespace, joined with " | "). A confirmed tuple must be one the model
// allows (an error names the file and line); when the file confirms two tuples for one key, the
// later row wins (counted in overridden()).
// Thread-safety: immutable after Load; Lookup may be called concurrently.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "model/joint_model.h"
#include "text/normalizer.h"

namespace statcoder::model {

class KeyMemory {
 public:
  static core::Result<KeyMemory> Load(const std::string& path, const std::string& reporter_column,
                                      const std::vector<std::string>& text_fields,
                                      const JointModel& model);

  // The confirmed codes (in the model's label order) for the reporter and texts, or null.
  // kInvalidInput on invalid UTF-8 in the texts.
  core::Result<const std::vector<std::string>*> Lookup(std::string_view reporter,
                                                       const std::vector<std::string>& texts) const;

  size_t size() const { return by_key_.size(); }
  size_t overridden() const { return overridden_; }

 private:
  core::Result<std::string> Key(std::string_view reporter,
                                const std::vector<std::string>& texts) const;

  text::Normalizer normalizer_;
  std::unordered_map<std::string, std::vector<std::string>> by_key_;
  size_t overridden_ = 0;
};

}  // namespace statcoder::model
