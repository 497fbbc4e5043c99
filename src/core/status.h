// Status: the outcome of an operation that can fail, as a code plus a message.
//
//   Status s = reader.Open(path);
//   if (!s.ok()) return s;            // or RETURN_IF_ERROR(reader.Open(path));
//
// Every failure carries a StatusCode so that each boundary (CLI exit code, HTTP status,
// Python exception, audit line) can map it through one table. Messages name the object
// and, where there is one, the way out.
// Thread-safety: a Status is an immutable value; copies may be shared freely.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace statcoder::core {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,     // a caller-supplied option or flag is wrong
  kInvalidInput,        // a data file (records, code list) is malformed
  kNotFound,            // a file, column, code or object does not exist
  kAlreadyExists,       // creating something that is already there
  kFailedPrecondition,  // the system is not in a state to do this (e.g. too many rejects)
  kDataLoss,            // a persisted artifact is corrupt or truncated
  kUnsupportedVersion,  // an artifact was written by a newer, incompatible format version
  kIoError,             // the operating system refused a read or write
  kLimitExceeded,       // an explicit size limit was crossed
  kInternal,            // a bug; should never be reachable from user input
};

// Stable lower-case name of a code ("invalid_input"), used in JSON output and logs.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid_input: coded.tsv:12: column 'code': empty label".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>", keeping the code.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string msg) {
  return Status(StatusCode::kInvalidArgument, std::move(msg));
}
inline Status InvalidInput(std::string msg) {
  return Status(StatusCode::kInvalidInput, std::move(msg));
}
inline Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
inline Status AlreadyExists(std::string msg) {
  return Status(StatusCode::kAlreadyExists, std::move(msg));
}
inline Status FailedPrecondition(std::string msg) {
  return Status(StatusCode::kFailedPrecondition, std::move(msg));
}
inline Status DataLoss(std::string msg) { return Status(StatusCode::kDataLoss, std::move(msg)); }
inline Status UnsupportedVersion(std::string msg) {
  return Status(StatusCode::kUnsupportedVersion, std::move(msg));
}
inline Status IoError(std::string msg) { return Status(StatusCode::kIoError, std::move(msg)); }
inline Status LimitExceeded(std::string msg) {
  return Status(StatusCode::kLimitExceeded, std::move(msg));
}
inline Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }

}  // namespace statcoder::core

#define SC_STATUS_CONCAT_INNER(a, b) a##b
#define SC_STATUS_CONCAT(a, b) SC_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK. The temporary gets a
// unique name, so a RETURN_IF_ERROR inside a lambda passed to another one does not shadow it.
#define RETURN_IF_ERROR(expr) SC_RETURN_IF_ERROR_IMPL(SC_STATUS_CONCAT(sc_status_, __COUNTER__), expr)
#define SC_RETURN_IF_ERROR_IMPL(tmp, expr)         \
  do {                                             \
    ::statcoder::core::Status tmp = (expr);        \
    if (!tmp.ok()) return tmp;                     \
  } while (0)
