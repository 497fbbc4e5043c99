// For CLI tests that stand in for a coder without a server: writes a decision straight into a
// workspace catalog, as POST /v1/review/{id}/decision would store it (docs/formats/
// workspace_v1.md, review_decisions and review_items). Tests linking SQLite only.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <string>

namespace statcoder::cli::testing {

// Coder `coder` codes review item `item_id` as `code`; the item becomes decided.
inline void DecideReviewItem(sqlite3* db, int64_t item_id, const std::string& code,
                             const std::string& coder = "ann") {
  const std::string sql =
      "INSERT INTO review_decisions (item_id, coder, time, action, code, comment, "
      "suggestions_shown, blind) VALUES (" +
      std::to_string(item_id) + ", '" + coder + "', '2026-11-29T12:00:00Z', 'code', '" + code +
      "', '', '[]', 0); UPDATE review_items SET status = 'decided' WHERE id = " +
      std::to_string(item_id);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
}

// A coder escalates item `item_id` to a supervisor (POST /v1/review/{id}/decision, "escalate").
inline void EscalateReviewItem(sqlite3* db, int64_t item_id, const std::string& coder = "ann") {
  const std::string sql =
      "INSERT INTO review_decisions (item_id, coder, time, action, code, comment, "
      "suggestions_shown, blind) VALUES (" +
      std::to_string(item_id) + ", '" + coder +
      "', '2026-11-29T12:00:00Z', 'escalate', '', '', '[]', 0); UPDATE review_items SET status "
      "= 'escalated' WHERE id = " +
      std::to_string(item_id);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
}

// Supervisor `supervisor` adjudicates item `item_id` as `code`; the item is closed.
inline void AdjudicateReviewItem(sqlite3* db, int64_t item_id, const std::string& code,
                                 const std::string& supervisor = "meg") {
  const std::string sql =
      "INSERT INTO review_decisions (item_id, coder, time, action, code, comment, "
      "suggestions_shown, blind) VALUES (" +
      std::to_string(item_id) + ", '" + supervisor + "', '2026-11-30T09:00:00Z', 'adjudicate', '" +
      code + "', '', '[]', 0); UPDATE review_items SET status = 'closed' WHERE id = " +
      std::to_string(item_id);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
}

}  // namespace statcoder::cli::testing
