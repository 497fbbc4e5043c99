#include "pipeline/coded_output.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace statcoder::pipeline {
namespace {

double Round(double v) { return std::round(v * 1e6) / 1e6; }

std::string Fixed(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 6);
  return std::string(buf, r.ptr);
}

void AppendCsvField(const std::string& s, std::string* out) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// The decided code's title in the model's code list, so a person can read the output without
// joining it back; empty without a code list or titles.
std::string CodeTitle(const model::Model& m, const std::string& code) {
  if (!m.code_list() || code.empty()) return "";
  const int32_t i = m.code_list()->Find(code);
  return i < 0 ? std::string() : m.code_list()->node(i).title;
}

}  // namespace

std::vector<std::string> CodedWriter::Columns() const {
  std::vector<std::string> cols = {"id", "code", "confidence", "decision", "level", "level_name"};
  for (int k = 1; k <= top_k_; ++k) {
    cols.push_back("top" + std::to_string(k) + "_code");
    cols.push_back("top" + std::to_string(k) + "_prob");
  }
  cols.push_back("model_version");
  cols.push_back("reason");
  if (kb_column_) cols.push_back("kb_entry");
  cols.push_back("code_title");  // columns are only ever added at the end
  // JSON Lines has "top" instead of the topK columns.
  if (format_ == data::FileFormat::kJsonl) cols.push_back("top");
  return cols;
}

core::Status CodedWriter::CheckKeptNames() const {
  const std::vector<std::string> own = Columns();
  for (const std::string& k : kept_) {
    if (std::find(own.begin(), own.end(), k) != own.end()) {
      return core::InvalidArgument("--keep column '" + k +
                                   "' has the name of an output column; rename it in the input "
                                   "or leave it out");
    }
  }
  return core::Status::Ok();
}

void CodedWriter::Header(std::string* out) const {
  if (format_ == data::FileFormat::kJsonl) return;
  std::vector<std::string> cols = Columns();
  cols.insert(cols.end(), kept_.begin(), kept_.end());
  Row(cols, out);
}

void CodedWriter::Record(const model::Model& m, const std::string& id, const model::Prediction& p,
                         int64_t kb_entry, std::string* out,
                         const std::vector<std::string>& kept) const {
  const std::string level_name =
      m.code_list() ? m.code_list()->LevelName(p.level) : std::string("code");
  if (format_ == data::FileFormat::kJsonl) {
    nlohmann::json alts = nlohmann::json::array();
    for (const auto& t : p.top) {
      alts.push_back({{"code", m.label(static_cast<size_t>(t.label))},
                      {"probability", Round(t.probability)}});
    }
    nlohmann::json j = {{"id", id},
                        {"code", p.code},
                        {"confidence", Round(p.confidence)},
                        {"decision", std::string(model::DecisionName(p.decision))},
                        {"level", p.level},
                        {"level_name", level_name},
                        {"top", alts},
                        {"model_version", m.version_id()},
                        {"reason", std::string(p.reason)},
                        {"code_title", CodeTitle(m, p.code)}};
    if (kb_column_) j["kb_entry"] = kb_entry ? nlohmann::json(kb_entry) : nlohmann::json(nullptr);
    for (size_t i = 0; i < kept_.size(); ++i) j[kept_[i]] = i < kept.size() ? kept[i] : "";
    out->append(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    out->push_back('\n');
    return;
  }
  std::vector<std::string> cols = {id,
                                   p.code,
                                   Fixed(p.confidence),
                                   std::string(model::DecisionName(p.decision)),
                                   std::to_string(p.level),
                                   level_name};
  for (int k = 0; k < top_k_; ++k) {
    if (static_cast<size_t>(k) < p.top.size()) {
      cols.push_back(m.label(static_cast<size_t>(p.top[static_cast<size_t>(k)].label)));
      cols.push_back(Fixed(p.top[static_cast<size_t>(k)].probability));
    } else {
      cols.push_back("");
      cols.push_back("");
    }
  }
  cols.push_back(m.version_id());
  cols.push_back(std::string(p.reason));
  if (kb_column_) cols.push_back(kb_entry ? std::to_string(kb_entry) : "");
  cols.push_back(CodeTitle(m, p.code));
  for (size_t i = 0; i < kept_.size(); ++i) cols.push_back(i < kept.size() ? kept[i] : "");
  Row(cols, out);
}

void CodedWriter::Row(const std::vector<std::string>& cols, std::string* out) const {
  const char sep = format_ == data::FileFormat::kCsv ? ',' : '\t';
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) out->push_back(sep);
    if (format_ == data::FileFormat::kCsv) {
      AppendCsvField(cols[i], out);
    } else {
      // Ids come from user data; keep the TSV rectangular whatever they contain.
      for (char c : cols[i]) out->push_back(c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
    }
  }
  out->push_back('\n');
}

}  // namespace statcoder::pipeline
