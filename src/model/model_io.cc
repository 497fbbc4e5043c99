#include "model/model_io.h"

#include <algorithm>
#include <cmath>
#include <bit>
#include <cstring>
#include <optional>
#include <vector>

#include "core/content_hash.h"
#include "core/file_util.h"

#include <sodium.h>

namespace statcoder::model {
namespace {

static_assert(std::endian::native == std::endian::little,
              "model files are little-endian; add byte swapping for big-endian hosts");

constexpr char kMagic[8] = {'S', 'T', 'C', 'M', 'O', 'D', 'E', 'L'};
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8;
constexpr size_t kChecksumBytes = 32;

class Writer {
 public:
  template <typename T>
  void Put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  template <typename T>
  void PutArray(const std::vector<T>& v) {
    out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void PutString(std::string_view s) {
    Put<uint32_t>(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void PutSection(const char tag[4], const std::string& body) {
    out_.append(tag, 4);
    Put<uint64_t>(body.size());
    out_.append(body);
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

// Bounds-checked reader: every read past the end is a DataLoss naming the file and section.
class Reader {
 public:
  Reader(std::string_view bytes, std::string context) : bytes_(bytes), context_(std::move(context)) {}

  template <typename T>
  core::Status Get(T* v) {
    if (bytes_.size() - pos_ < sizeof(T)) return Truncated();
    std::memcpy(v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return core::Status::Ok();
  }
  template <typename T>
  core::Status GetArray(size_t count, std::vector<T>* v) {
    if (count > (bytes_.size() - pos_) / sizeof(T)) return Truncated();
    v->resize(count);
    std::memcpy(v->data(), bytes_.data() + pos_, count * sizeof(T));
    pos_ += count * sizeof(T);
    return core::Status::Ok();
  }
  core::Status GetString(std::string* s) {
    uint32_t len = 0;
    RETURN_IF_ERROR(Get(&len));
    if (len > bytes_.size() - pos_) return Truncated();
    s->assign(bytes_.data() + pos_, len);
    pos_ += len;
    return core::Status::Ok();
  }
  core::Status GetBytes(size_t len, std::string_view* s) {
    if (len > bytes_.size() - pos_) return Truncated();
    *s = bytes_.substr(pos_, len);
    pos_ += len;
    return core::Status::Ok();
  }
  bool done() const { return pos_ == bytes_.size(); }
  size_t position() const { return pos_; }
  core::Status Truncated() const { return core::DataLoss(context_ + " is truncated"); }

 private:
  std::string_view bytes_;
  std::string context_;
  size_t pos_ = 0;
};

nlohmann::json FeaturizerToJson(const text::FeaturizerConfig& c) {
  nlohmann::json numeric = nlohmann::json::array();
  for (const auto& b : c.numeric_fields) numeric.push_back({{"field", b.field}, {"edges", b.edges}});
  return {{"text_fields", c.text_fields},
          {"categorical_fields", c.categorical_fields},
          {"numeric_fields", numeric},
          {"word_ngrams", c.word_ngrams},
          {"char_ngram_min", c.char_ngram_min},
          {"char_ngram_max", c.char_ngram_max},
          {"strip_accents", c.normalizer.strip_accents},
          {"share_text_fields", c.share_text_fields},
          {"normalizer_version", c.normalizer_version}};
}

text::FeaturizerConfig FeaturizerFromJson(const nlohmann::json& j) {
  text::FeaturizerConfig c;
  c.text_fields = j.at("text_fields").get<std::vector<std::string>>();
  c.categorical_fields = j.at("categorical_fields").get<std::vector<std::string>>();
  for (const auto& b : j.at("numeric_fields")) {
    c.numeric_fields.push_back(
        {b.at("field").get<std::string>(), b.at("edges").get<std::vector<double>>()});
  }
  c.word_ngrams = j.at("word_ngrams").get<int>();
  c.char_ngram_min = j.at("char_ngram_min").get<int>();
  c.char_ngram_max = j.at("char_ngram_max").get<int>();
  c.normalizer.strip_accents = j.at("strip_accents").get<bool>();
  c.share_text_fields = j.value("share_text_fields", false);
  c.normalizer_version = j.at("normalizer_version").get<uint32_t>();
  return c;
}

void Sha256(std::string_view bytes, unsigned char* digest) {
  static const int kSodiumReady = sodium_init();  // idempotent, thread-safe
  (void)kSodiumReady;
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// Section tags are four ASCII upper-case letters or digits (docs/formats/model_v1.md): a zeroed
// or random region is then refused at its first section instead of being walked as sections.
bool ValidTag(const char tag[4]) {
  for (int i = 0; i < 4; ++i) {
    const char c = tag[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string TagText(const char tag[4]) {
  std::string out;
  for (int i = 0; i < 4; ++i) {
    const auto c = static_cast<unsigned char>(tag[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

// More sections than any version writes by far; a file claiming more is not a model.
constexpr size_t kMaxSections = 4096;

// What the first kHeaderBytes (or fewer, for a short file) and the file's size say: magic,
// version, and a payload length that fits the file exactly. Checked before anything else is
// read, so a device, a sparse or a foreign file is refused at once.
core::Status CheckHeader(std::string_view head, uint64_t file_size, const std::string& ctx) {
  if (head.size() >= 8 && std::memcmp(head.data(), "STCJOINT", 8) == 0) {
    return core::InvalidArgument(ctx + " is a joint model of several classifications "
                                 "(model/joint_model.h); `statcoder code` and `statcoder "
                                 "evaluate` read it, this verb needs a single-classification "
                                 "model");
  }
  if (head.size() < 8 || std::memcmp(head.data(), kMagic, 8) != 0) {
    return core::DataLoss(ctx + " is not a statcoder model (bad magic number)");
  }
  if (head.size() < kHeaderBytes || file_size < kHeaderBytes + kChecksumBytes) {
    return core::DataLoss(ctx + " is truncated");
  }
  uint32_t major = 0, minor = 0;
  uint64_t payload_len = 0;
  std::memcpy(&major, head.data() + 8, 4);
  std::memcpy(&minor, head.data() + 12, 4);
  std::memcpy(&payload_len, head.data() + 16, 8);
  if (major > kModelFormatMajor) {
    return core::UnsupportedVersion(ctx + " has format version " + std::to_string(major) + "." +
                                    std::to_string(minor) + ", newer than this statcoder reads (" +
                                    std::to_string(kModelFormatMajor) +
                                    ".x); upgrade statcoder to load it");
  }
  if (major == 0) return core::DataLoss(ctx + " has format version 0, which never existed");
  if (payload_len != file_size - kHeaderBytes - kChecksumBytes) {
    return core::DataLoss(ctx + " is truncated or has trailing bytes (payload length " +
                          std::to_string(payload_len) + " in the header, " +
                          std::to_string(file_size - kHeaderBytes - kChecksumBytes) +
                          " in the file)");
  }
  return core::Status::Ok();
}

// One section header (tag, length) at `offset` of the payload, checked against what is left.
core::Status CheckSectionHeader(const char tag[4], uint64_t len, uint64_t offset,
                                uint64_t payload_len, size_t index, const std::string& ctx) {
  if (!ValidTag(tag)) {
    return core::DataLoss(ctx + " is corrupt: section " + std::to_string(index + 1) +
                          " at payload byte " + std::to_string(offset) + " has tag '" +
                          TagText(tag) + "', not four upper-case letters or digits");
  }
  if (index >= kMaxSections) {
    return core::DataLoss(ctx + " is corrupt: more than " + std::to_string(kMaxSections) +
                          " sections");
  }
  const uint64_t left = payload_len - offset - 12;
  if (len > left) {
    return core::DataLoss(ctx + " is corrupt: section " + TagText(tag) + " declares " +
                          std::to_string(len) + " bytes but only " + std::to_string(left) +
                          " remain in the file");
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<std::string> SerializeModel(const ModelData& m) {
  Writer payload;
  {
    nlohmann::json meta = {{"featurizer", FeaturizerToJson(m.featurizer)},
                           {"temperature", m.temperature},
                           {"policy", m.policy.ToJson()},
                           {"metadata", m.metadata}};
    if (!m.level_calibration.empty()) {
      nlohmann::json levels = nlohmann::json::array();
      for (const LevelCalibration& c : m.level_calibration) levels.push_back({c.slope, c.offset});
      meta["level_calibration"] = levels;
    }
    // Sections a reader must understand to score correctly. Readers skip unknown sections, so
    // one that changes scoring is listed here and a reader that does not know it refuses the
    // file instead of coding wrongly.
    nlohmann::json required = nlohmann::json::array();
    if (!m.label_outputs.identity()) required.push_back("OMAP");
    meta["required_sections"] = required;
    payload.PutSection("META", meta.dump());
  }
  {
    Writer w;
    w.Put<uint32_t>(static_cast<uint32_t>(m.labels.size()));
    for (const auto& l : m.labels) w.PutString(l);
    payload.PutSection("LABL", w.bytes());
  }
  if (m.code_list) {
    Writer w;
    const auto entries = m.code_list->ToEntries();
    w.Put<uint32_t>(static_cast<uint32_t>(entries.size()));
    for (const auto& e : entries) {
      w.PutString(e.code);
      w.PutString(e.parent);
      w.PutString(e.title);
    }
    payload.PutSection("CODE", w.bytes());
    // Level names ("major" ... "detailed") live in their own section, added in format 1.1, so
    // 1.0 readers skip it.
    Writer names;
    const std::vector<std::string> levels = m.code_list->level_names();
    names.Put<uint32_t>(static_cast<uint32_t>(levels.size()));
    for (const auto& l : levels) names.PutString(l);
    payload.PutSection("LEVL", names.bytes());
  }
  {
    Writer w;
    w.Put<uint64_t>(m.features.size());
    w.PutArray(m.features.ids());
    w.PutArray(m.features.idf());
    payload.PutSection("FEAT", w.bytes());
  }
  {
    const SparseLinear& lin = m.linear;
    Writer w;
    w.Put<uint32_t>(lin.num_outputs);
    w.Put<uint64_t>(lin.num_features());
    w.Put<uint64_t>(lin.columns.size());
    // Per-row counts instead of offsets, and 16-bit label indices when they fit: most of the
    // file is these arrays.
    const bool narrow = lin.num_outputs <= 0xFFFF;
    w.Put<uint8_t>(narrow ? 2 : 4);
    std::vector<uint16_t> counts(lin.num_features());
    for (size_t f = 0; f < counts.size(); ++f) {
      counts[f] = static_cast<uint16_t>(lin.row_offsets[f + 1] - lin.row_offsets[f]);
    }
    w.PutArray(counts);
    if (narrow) {
      std::vector<uint16_t> cols(lin.columns.begin(), lin.columns.end());
      w.PutArray(cols);
    } else {
      w.PutArray(lin.columns);
    }
    w.PutArray(lin.values);
    w.PutArray(lin.row_scale);
    w.PutArray(lin.bias);
    payload.PutSection("LINR", w.bytes());
  }
  if (!m.label_outputs.identity()) {
    Writer w;
    w.Put<uint64_t>(m.label_outputs.offsets.size());
    w.PutArray(m.label_outputs.offsets);
    w.Put<uint64_t>(m.label_outputs.outputs.size());
    w.PutArray(m.label_outputs.outputs);
    payload.PutSection("OMAP", w.bytes());
  }
  Writer file;
  file.bytes().append(kMagic, sizeof kMagic);
  file.Put<uint32_t>(kModelFormatMajor);
  file.Put<uint32_t>(kModelFormatMinor);
  file.Put<uint64_t>(payload.bytes().size());
  file.bytes().append(payload.bytes());
  unsigned char digest[crypto_hash_sha256_BYTES];
  Sha256(file.bytes(), digest);
  file.bytes().append(reinterpret_cast<const char*>(digest), sizeof digest);
  return std::move(file.bytes());
}

core::Result<ModelData> DeserializeModel(std::string_view bytes, const std::string& source) {
  const std::string ctx = "model file '" + source + "'";
  RETURN_IF_ERROR(CheckHeader(bytes.substr(0, std::min(bytes.size(), kHeaderBytes)), bytes.size(),
                              ctx));
  const uint64_t payload_len = bytes.size() - kHeaderBytes - kChecksumBytes;
  unsigned char digest[crypto_hash_sha256_BYTES];
  Sha256(bytes.substr(0, kHeaderBytes + payload_len), digest);
  if (std::memcmp(digest, bytes.data() + kHeaderBytes + payload_len, kChecksumBytes) != 0) {
    return core::DataLoss(ctx + " is corrupt (checksum mismatch)");
  }

  ModelData m;
  Reader sections(bytes.substr(kHeaderBytes, payload_len), ctx);
  bool seen_meta = false, seen_labels = false, seen_features = false, seen_linear = false;
  std::optional<std::vector<data::CodeList::Entry>> code_entries;  // CODE
  std::vector<std::string> level_names;                            // LEVL (format 1.1)
  bool required_omap = false, seen_omap = false;
  size_t section_count = 0;
  while (!sections.done()) {
    char tag[4] = {};
    uint64_t len = 0;
    const uint64_t offset = sections.position();
    RETURN_IF_ERROR(sections.Get(&tag));
    RETURN_IF_ERROR(sections.Get(&len));
    RETURN_IF_ERROR(CheckSectionHeader(tag, len, offset, payload_len, section_count++, ctx));
    std::string_view body;
    RETURN_IF_ERROR(sections.GetBytes(len, &body));
    const std::string name(tag, 4);
    Reader r(body, ctx + " section " + name);
    if (name == "META") {
      try {
        const auto meta = nlohmann::json::parse(body);
        m.featurizer = FeaturizerFromJson(meta.at("featurizer"));
        m.temperature = meta.at("temperature").get<double>();
        // Absent in models trained before levels had their own calibration: the identity.
        for (const auto& level : meta.value("level_calibration", nlohmann::json::array())) {
          const LevelCalibration c{level.at(0).get<double>(), level.at(1).get<double>()};
          if (!std::isfinite(c.slope) || !std::isfinite(c.offset) || c.slope <= 0 ||
              c.slope > 100 || std::abs(c.offset) > 1000 || m.level_calibration.size() >= 64) {
            return core::DataLoss(ctx + " is corrupt: level calibration out of range");
          }
          m.level_calibration.push_back(c);
        }
        ASSIGN_OR_RETURN(m.policy, DecisionPolicy::FromJson(meta.at("policy")));
        m.metadata = meta.at("metadata");
        for (const auto& needed : meta.value("required_sections", nlohmann::json::array())) {
          const std::string t = needed.get<std::string>();
          if (t != "OMAP") {
            return core::UnsupportedVersion(ctx + " needs section '" + t +
                                            "', which this statcoder does not know; upgrade "
                                            "statcoder to load it");
          }
          required_omap = true;
        }
      } catch (const nlohmann::json::exception& e) {
        return core::DataLoss(ctx + " has unreadable metadata: " + e.what());
      }
      seen_meta = true;
    } else if (name == "LABL") {
      uint32_t count = 0;
      RETURN_IF_ERROR(r.Get(&count));
      if (count > body.size()) return r.Truncated();
      m.labels.resize(count);
      for (auto& l : m.labels) RETURN_IF_ERROR(r.GetString(&l));
      seen_labels = true;
    } else if (name == "CODE") {
      uint32_t count = 0;
      RETURN_IF_ERROR(r.Get(&count));
      if (count > body.size()) return r.Truncated();
      code_entries.emplace(count);
      for (auto& e : *code_entries) {
        RETURN_IF_ERROR(r.GetString(&e.code));
        RETURN_IF_ERROR(r.GetString(&e.parent));
        RETURN_IF_ERROR(r.GetString(&e.title));
      }
    } else if (name == "LEVL") {
      uint32_t count = 0;
      RETURN_IF_ERROR(r.Get(&count));
      if (count > body.size()) return r.Truncated();
      level_names.resize(count);
      for (auto& l : level_names) RETURN_IF_ERROR(r.GetString(&l));
    } else if (name == "FEAT") {
      uint64_t count = 0;
      RETURN_IF_ERROR(r.Get(&count));
      std::vector<uint64_t> ids;
      std::vector<float> idf;
      RETURN_IF_ERROR(r.GetArray(count, &ids));
      RETURN_IF_ERROR(r.GetArray(count, &idf));
      for (size_t i = 1; i < ids.size(); ++i) {
        if (ids[i - 1] >= ids[i]) return core::DataLoss(ctx + " has unsorted feature ids");
      }
      m.features = FeatureIndex(std::move(ids), std::move(idf));
      seen_features = true;
    } else if (name == "LINR") {
      SparseLinear& lin = m.linear;
      uint64_t features = 0, nnz = 0;
      uint8_t width = 0;
      RETURN_IF_ERROR(r.Get(&lin.num_outputs));
      RETURN_IF_ERROR(r.Get(&features));
      RETURN_IF_ERROR(r.Get(&nnz));
      RETURN_IF_ERROR(r.Get(&width));
      std::vector<uint16_t> counts;
      RETURN_IF_ERROR(r.GetArray(features, &counts));
      lin.row_offsets.assign(1, 0);
      lin.row_offsets.reserve(features + 1);
      uint64_t total = 0;
      for (uint16_t c : counts) {
        total += c;
        lin.row_offsets.push_back(static_cast<uint32_t>(total));
      }
      if (total != nnz) return core::DataLoss(ctx + " has inconsistent weight counts");
      if (width == 2) {
        std::vector<uint16_t> cols;
        RETURN_IF_ERROR(r.GetArray(nnz, &cols));
        lin.columns.assign(cols.begin(), cols.end());
      } else if (width == 4) {
        RETURN_IF_ERROR(r.GetArray(nnz, &lin.columns));
      } else {
        return core::DataLoss(ctx + " has an invalid label index width");
      }
      RETURN_IF_ERROR(r.GetArray(nnz, &lin.values));
      RETURN_IF_ERROR(r.GetArray(features, &lin.row_scale));
      RETURN_IF_ERROR(r.GetArray(lin.num_outputs, &lin.bias));
      seen_linear = true;
    } else if (name == "OMAP") {
      uint64_t count = 0;
      RETURN_IF_ERROR(r.Get(&count));
      RETURN_IF_ERROR(r.GetArray(count, &m.label_outputs.offsets));
      RETURN_IF_ERROR(r.Get(&count));
      RETURN_IF_ERROR(r.GetArray(count, &m.label_outputs.outputs));
      seen_omap = true;
    }
    // Unknown sections come from a newer minor version and are skipped on purpose.
  }
  if (!seen_meta || !seen_labels || !seen_features || !seen_linear || (required_omap && !seen_omap)) {
    return core::DataLoss(ctx + " is missing a required section");
  }
  if (code_entries) {
    auto list = data::CodeList::FromEntries(std::move(*code_entries), std::move(level_names));
    if (!list.ok()) return list.status().WithContext(ctx + " code list");
    m.code_list = std::move(*list);
  }
  return m;
}

std::string ModelVersionId(std::string_view file_bytes) {
  // The trailing checksum is the SHA-256 of everything before it, so it identifies the content
  // and needs no second pass over a large file.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  if (file_bytes.size() < kChecksumBytes) return id;
  const std::string_view sum = file_bytes.substr(file_bytes.size() - kChecksumBytes);
  for (size_t i = 0; i < 8; ++i) {
    const auto b = static_cast<unsigned char>(sum[i]);
    id += kHex[b >> 4];
    id += kHex[b & 0xF];
  }
  return id;
}

core::Result<std::string> SaveModel(const ModelData& model, const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, SerializeModel(model));
  RETURN_IF_ERROR(core::WriteFileAtomic(path, bytes));
  return ModelVersionId(bytes);
}

core::Result<std::shared_ptr<const Model>> LoadModel(const std::string& path) {
  // Everything the header and the section headers declare is checked against the file's size
  // before the file is read: a device, a sparse file or a foreign one is refused in
  // microseconds, not after reading (and hashing) gigabytes.
  const std::string ctx = "model file '" + path + "'";
  auto opened = core::RegularFile::Open(path);
  if (!opened.ok()) return opened.status().WithContext("cannot load model");
  const core::RegularFile& file = *opened;
  std::string head;
  RETURN_IF_ERROR(
      file.ReadAt(0, static_cast<size_t>(std::min<uint64_t>(file.size(), kHeaderBytes)), &head));
  RETURN_IF_ERROR(CheckHeader(head, file.size(), ctx));
  const uint64_t payload_len = file.size() - kHeaderBytes - kChecksumBytes;
  std::string section_head;
  uint64_t offset = 0;
  for (size_t index = 0; offset < payload_len; ++index) {
    if (payload_len - offset < 12) return core::DataLoss(ctx + " is truncated");
    RETURN_IF_ERROR(file.ReadAt(kHeaderBytes + offset, 12, &section_head));
    uint64_t len = 0;
    std::memcpy(&len, section_head.data() + 4, 8);
    RETURN_IF_ERROR(CheckSectionHeader(section_head.data(), len, offset, payload_len, index, ctx));
    offset += 12 + len;
  }
  ASSIGN_OR_RETURN(std::string bytes, file.ReadAll());
  ASSIGN_OR_RETURN(ModelData data, DeserializeModel(bytes, path));
  auto model = Model::Create(std::move(data), ModelVersionId(bytes));
  if (!model.ok()) return model.status().WithContext("model file '" + path + "'");
  return model;
}

core::Result<std::shared_ptr<const Model>> BuildModel(ModelData model) {
  ASSIGN_OR_RETURN(std::string bytes, SerializeModel(model));
  return Model::Create(std::move(model), ModelVersionId(bytes));
}

}  // namespace statcoder::model
