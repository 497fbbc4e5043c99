// Files checked before they are trusted (issue 14): model files that are devices, huge sparse
// files or lie about their sizes; a workspace whose catalog was emptied, removed or replaced;
// a damaged catalog that `audit verify` must catch; errors whose message holds invalid UTF-8
// in --json mode; and statcoder.toml paths that leave the workspace. The real binary, as a user
// runs it.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;

class HardeningCliTest : public WorkspaceTest {
 protected:
  std::string Db() const { return (fs::path(ws_) / "statcoder.db").string(); }
  // The JSON error object a --json run printed on standard error.
  static json ErrorJson(const RunResult& r) {
    const std::vector<std::string> lines = Lines(r.err);
    EXPECT_FALSE(lines.empty()) << r;
    if (lines.empty()) return json();
    return json::parse(lines.back(), nullptr, /*allow_exceptions=*/false);
  }
};

std::string SparseFile(const fs::path& path, const std::string& head, uint64_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
  ::close(fd);
  return path.string();
}

TEST_F(HardeningCliTest, ModelThatIsADeviceOrAHugeSparseFileIsAClearError) {
  WriteFile(dir_ / "new.tsv", "title\nretail sales\n");
  RunResult r = Sc({"code", "--model", "/dev/zero", "--data", "new.tsv", "--out", "o.tsv"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("'/dev/zero' is a character device, not a regular file"),
            std::string::npos)
      << r;

  const std::string zeros = SparseFile(dir_ / "zeros.stc", "", uint64_t{2} << 30);
  r = Sc({"code", "--model", zeros, "--data", "new.tsv", "--out", "o.tsv"});
  EXPECT_EQ(r.exit_code, 6) << r;
  EXPECT_NE(r.err.find("bad magic number"), std::string::npos) << r;

  // A header that agrees with the 2 GiB size: refused at the first section, before the file is
  // read and hashed ("checksum mismatch" would mean it was).
  std::string head = "STCMODEL";
  const uint32_t major = 1, minor = 2;
  const uint64_t payload = (uint64_t{2} << 30) - 56;
  head.append(reinterpret_cast<const char*>(&major), 4);
  head.append(reinterpret_cast<const char*>(&minor), 4);
  head.append(reinterpret_cast<const char*>(&payload), 8);
  const std::string plausible = SparseFile(dir_ / "plausible.stc", head, uint64_t{2} << 30);
  r = Sc({"code", "--model", plausible, "--data", "new.tsv", "--out", "o.tsv", "--json"});
  EXPECT_EQ(r.exit_code, 6) << r;
  const json e = ErrorJson(r);
  EXPECT_EQ(e["error"]["exit_code"], 6) << r;
  EXPECT_NE(e["error"]["message"].get<std::string>().find("has tag"), std::string::npos) << r;
}

TEST_F(HardeningCliTest, EmptiedCatalogRefusesToOpenAndIsNotRecreated) {
  Init();
  Ingest(train_);
  // `: > WS/statcoder.db`, as in the issue.
  { std::ofstream truncate(Db(), std::ios::trunc); }
  ASSERT_EQ(fs::file_size(Db()), 0u);
  for (const std::vector<std::string>& verb :
       {std::vector<std::string>{"models", "list", ws_}, {"snapshots", "list", ws_},
        {"audit", "verify", ws_}, {"audit", "list", ws_, "--json"}}) {
    const RunResult r = Sc(verb);
    EXPECT_EQ(r.exit_code, 6) << verb[0] << " " << verb[1] << ": " << r;
    EXPECT_NE(r.err.find("is empty (0 bytes)"), std::string::npos) << r;
    EXPECT_NE(r.err.find("restore statcoder.db from a backup"), std::string::npos) << r;
  }
  EXPECT_EQ(fs::file_size(Db()), 0u) << "the catalog was re-created";
  // An SQLite database without statcoder's tables is no catalog either.
  fs::remove(Db());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Db().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 3", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  RunResult r = Sc({"models", "list", ws_});
  EXPECT_EQ(r.exit_code, 6) << r;
  EXPECT_NE(r.err.find("empty database"), std::string::npos) << r;
  // Removed: the workspace's other files are there, so this is a lost catalog.
  fs::remove(Db());
  r = Sc({"models", "list", ws_, "--json"});
  EXPECT_EQ(r.exit_code, 6) << r;
  EXPECT_EQ(ErrorJson(r)["error"]["code"], "data_loss") << r;
  EXPECT_FALSE(fs::exists(Db()));
}

// Zeroes the page of the index SQLite made for snapshots.id: the tables still read, but the
// catalog is damaged, which only a full integrity check finds.
void DamageSnapshotIndex(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND "
                               "tbl_name = 'snapshots' ORDER BY name LIMIT 1",
                               -1, &s, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  const int64_t page = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  std::string bytes = ReadFile(path);
  const size_t page_size = (static_cast<unsigned char>(bytes[16]) << 8) |
                           static_cast<unsigned char>(bytes[17]);
  ASSERT_GT(page, 1);
  const size_t at = static_cast<size_t>(page - 1) * page_size;
  ASSERT_LE(at + page_size, bytes.size());
  std::memset(bytes.data() + at, 0x5a, page_size);
  WriteFile(path, bytes);
}

TEST_F(HardeningCliTest, AuditVerifyRunsSqlitesIntegrityCheck) {
  Init();
  Ingest(train_);
  RunResult r = Sc({"audit", "verify", ws_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(ParseJson(r.out)["integrity"], "ok");
  DamageSnapshotIndex(Db());
  // The audit chain alone is intact: only the integrity check tells.
  r = Sc({"audit", "list", ws_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Sc({"audit", "verify", ws_, "--json"});
  EXPECT_EQ(r.exit_code, 6) << r;
  EXPECT_FALSE(ParseJson(r.out)["ok"].get<bool>()) << r;
  EXPECT_NE(r.err.find("integrity check"), std::string::npos) << r;
  EXPECT_EQ(ErrorJson(r)["error"]["exit_code"], 6) << r;
}

TEST_F(HardeningCliTest, JsonErrorsKeepTheirExitCodeWithInvalidUtf8InTheMessage) {
  WriteFile(dir_ / "new.tsv", "title\nretail sales\n");
  const std::string bad_name = "\xff\xfe-model.stc";  // not UTF-8
  RunResult r = Sc({"code", "--model", bad_name, "--data", "new.tsv", "--out", "o.tsv", "--json"});
  EXPECT_EQ(r.exit_code, 4) << r;
  json e = ErrorJson(r);
  ASSERT_TRUE(e.is_object()) << r;
  EXPECT_EQ(e["error"]["code"], "not_found") << r;
  EXPECT_EQ(e["error"]["exit_code"], 4) << r;
  EXPECT_NE(e["error"]["message"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos)
      << "invalid bytes are replaced by U+FFFD: " << r;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r;

  // A file that is no model, whose bytes are quoted back: still exit 6, not 1.
  WriteFile(dir_ / "bad.stc", std::string("STCMODEL\x01\x00\x00\x00", 12) + "\xff\xff\xff");
  r = RunStatcoder({"evaluate", "--model", (dir_ / "bad.stc").string(), "--data", "new.tsv",
                    "--label", "code", "--json"},
                   dir_, dir_);
  EXPECT_EQ(r.exit_code, 6) << r;
  EXPECT_EQ(ErrorJson(r)["error"]["exit_code"], 6) << r;

  // A workspace folder whose name is not UTF-8.
  r = Sc({"models", "list", "--workspace", "\xc3\x28-ws", "--json"});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_EQ(ErrorJson(r)["error"]["exit_code"], 4) << r;
}

TEST_F(HardeningCliTest, ConfigPathsStayInsideTheWorkspace) {
  Init();
  SetConfig("file = \"codelist/soc2018_codelist.tsv\"", "file = \"../../../../etc/passwd\"");
  RunResult r = Sc({"models", "list", ws_});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_NE(r.err.find("[codelist] file '../../../../etc/passwd'"), std::string::npos) << r;
  EXPECT_NE(r.err.find("outside the workspace folder"), std::string::npos) << r;
  EXPECT_NE(r.err.find("--allow-outside-paths"), std::string::npos) << r;

  SetConfig("file = \"../../../../etc/passwd\"", "file = \"/etc/passwd\"");
  r = Sc({"snapshots", "list", ws_});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_NE(r.err.find("absolute path"), std::string::npos) << r;

  // A symbolic link inside the workspace that leads out of it is outside too.
  fs::copy_file(fs::path(ws_) / "codelist" / "soc2018_codelist.tsv", dir_ / "outside.tsv");
  fs::create_symlink(dir_ / "outside.tsv", fs::path(ws_) / "codelist" / "link.tsv");
  SetConfig("file = \"/etc/passwd\"", "file = \"codelist/link.tsv\"");
  r = Sc({"snapshots", "list", ws_});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_NE(r.err.find("outside the workspace folder"), std::string::npos) << r;

  // The explicit option allows it; a path inside needs none.
  r = Sc({"snapshots", "list", ws_, "--allow-outside-paths"});
  EXPECT_EQ(r.exit_code, 0) << r;
  SetConfig("file = \"codelist/link.tsv\"", "file = \"codelist/../codelist/soc2018_codelist.tsv\"");
  r = Sc({"snapshots", "list", ws_});
  EXPECT_EQ(r.exit_code, 0) << r;
}

}  // namespace
}  // namespace statcoder::cli
