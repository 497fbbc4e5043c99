// Result<T>: a value or the Status that explains why there is none (surface like
// std::expected / absl::StatusOr).
//
//   Result<CodeList> list = CodeList::Load(path, options);
//   if (!list.ok()) return list.status();
//   ASSIGN_OR_RETURN(CodeList list2, CodeList::Load(path, options));
//
// Thread-safety: as safe as T.
#pragma once

#include <optional>
#include <utility>

#include "core/check.h"
#include "core/status.h"

namespace statcoder::core {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    SC_CHECK(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  T& value() & {
    SC_CHECK(ok());
    return *value_;
  }
  const T& value() const& {
    SC_CHECK(ok());
    return *value_;
  }
  T&& value() && {
    SC_CHECK(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace statcoder::core

#define SC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

// Evaluates `expr` (a Result<T>); on error returns its Status, else assigns the value to `lhs`.
#define ASSIGN_OR_RETURN(lhs, expr) \
  SC_ASSIGN_OR_RETURN_IMPL(SC_STATUS_CONCAT(sc_result_, __LINE__), lhs, expr)
