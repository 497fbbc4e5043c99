// Model files (.stc): a versioned binary format, specified in docs/formats/model_v1.md.
//
//   ASSIGN_OR_RETURN(std::string version, SaveModel(data, "model.stc"));
//   ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, LoadModel("model.stc"));
//
// Layout: magic "STCMODEL", format major/minor (u32 each), payload length (u64), payload
// (tagged sections), SHA-256 of everything before it. Readers refuse a newer major version,
// a bad magic, a truncated file or a checksum mismatch with a clear error; sections with an
// unknown tag (added by a newer minor version) are skipped. All integers little-endian.
// Serialisation is a pure function of ModelData, so deterministic training gives identical
// bytes. The model's version id is the first 16 hex digits of the file's checksum (the SHA-256
// of every byte before it).
// Thread-safety: functions are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "model/model.h"

namespace statcoder::model {

inline constexpr uint32_t kModelFormatMajor = 1;
// 1.1 added LEVL; 1.2 the policy rules (margin, codes) and thresholds per target precision.
inline constexpr uint32_t kModelFormatMinor = 2;

core::Result<std::string> SerializeModel(const ModelData& model);
// `source` names the file in error messages.
core::Result<ModelData> DeserializeModel(std::string_view bytes, const std::string& source);
std::string ModelVersionId(std::string_view file_bytes);

// Writes atomically (temp file, fsync, rename); returns the version id.
core::Result<std::string> SaveModel(const ModelData& model, const std::string& path);
core::Result<std::shared_ptr<const Model>> LoadModel(const std::string& path);
// An in-memory Model with its version id, as if saved and loaded.
core::Result<std::shared_ptr<const Model>> BuildModel(ModelData model);

}  // namespace statcoder::model
