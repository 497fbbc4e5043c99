// Internal helpers for reading the monitor's JSON documents with a Status per malformed field
// instead of nlohmann::json exceptions. Not part of the module's API.
// Thread-safety: pure functions.
#pragma once

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace statcoder::monitor::json_util {

inline core::Status Missing(std::string_view where, std::string_view key) {
  return core::InvalidInput(std::string(where) + ": field '" + std::string(key) +
                            "' missing or of the wrong type");
}

inline const nlohmann::json* Field(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(std::string(key));
  return it == j.end() ? nullptr : &*it;
}

// A non-negative integer count.
inline core::Status GetCount(const nlohmann::json& j, std::string_view key, std::string_view where,
                             int64_t* out) {
  const nlohmann::json* f = Field(j, key);
  if (f == nullptr || !f->is_number_integer()) return Missing(where, key);
  const int64_t v = f->get<int64_t>();
  if (v < 0) {
    return core::InvalidInput(std::string(where) + ": field '" + std::string(key) +
                              "' is negative");
  }
  *out = v;
  return core::Status::Ok();
}

inline core::Status CountOf(const nlohmann::json& v, std::string_view where, int64_t* out) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0) {
    return core::InvalidInput(std::string(where) + ": expected a non-negative integer count");
  }
  *out = v.get<int64_t>();
  return core::Status::Ok();
}

// A finite number (integers accepted).
inline core::Status GetNumber(const nlohmann::json& j, std::string_view key, std::string_view where,
                              double* out) {
  const nlohmann::json* f = Field(j, key);
  if (f == nullptr || !f->is_number()) return Missing(where, key);
  const double v = f->get<double>();
  if (!std::isfinite(v)) {
    return core::InvalidInput(std::string(where) + ": field '" + std::string(key) +
                              "' is not finite");
  }
  *out = v;
  return core::Status::Ok();
}

// A number or null.
inline core::Status GetOptionalNumber(const nlohmann::json& j, std::string_view key,
                                      std::string_view where, std::optional<double>* out) {
  const nlohmann::json* f = Field(j, key);
  if (f == nullptr || f->is_null()) {
    out->reset();
    return core::Status::Ok();
  }
  if (!f->is_number()) return Missing(where, key);
  *out = f->get<double>();
  return core::Status::Ok();
}

inline core::Status GetString(const nlohmann::json& j, std::string_view key, std::string_view where,
                              std::string* out) {
  const nlohmann::json* f = Field(j, key);
  if (f == nullptr || !f->is_string()) return Missing(where, key);
  *out = f->get<std::string>();
  return core::Status::Ok();
}

inline core::Status GetBool(const nlohmann::json& j, std::string_view key, std::string_view where,
                            bool* out) {
  const nlohmann::json* f = Field(j, key);
  if (f == nullptr || !f->is_boolean()) return Missing(where, key);
  *out = f->get<bool>();
  return core::Status::Ok();
}

// Checks {"format": format, "version": v <= max_version}.
inline core::Status CheckHeader(const nlohmann::json& j, std::string_view format, int max_version) {
  if (!j.is_object()) return core::InvalidInput(std::string(format) + ": not a JSON object");
  std::string got;
  if (!GetString(j, "format", format, &got).ok() || got != format) {
    return core::InvalidInput(std::string(format) + ": field 'format' is not '" +
                              std::string(format) + "'");
  }
  int64_t version = 0;
  RETURN_IF_ERROR(GetCount(j, "version", format, &version));
  if (version > max_version) {
    return core::UnsupportedVersion(std::string(format) + ": version " + std::to_string(version) +
                                    " is newer than this build reads (" +
                                    std::to_string(max_version) + "); upgrade statcoder");
  }
  if (version < 1) return core::InvalidInput(std::string(format) + ": version must be >= 1");
  return core::Status::Ok();
}

inline nlohmann::json OrNull(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace statcoder::monitor::json_util
