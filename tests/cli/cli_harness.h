// Shared harness of the CLI tests: runs the real statcoder binary as a user would (stdin
// /dev/null, stdout and stderr captured), temporary folders, and readers/writers for the
// tables and JSON it produces.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern char** environ;

namespace statcoder::cli::testing {

namespace fs = std::filesystem;
using nlohmann::json;

inline const fs::path kOnet = fs::path(STATCODER_SOURCE_DIR) / "examples" / "onet";

// ---- Running the binary ----------------------------------------------------------------------

struct RunResult {
  int exit_code = -1;
  std::string out;  // standard output
  std::string err;  // standard error
};

inline std::ostream& operator<<(std::ostream& os, const RunResult& r) {
  return os << "exit code " << r.exit_code << "\n--- stdout ---\n"
            << r.out.substr(0, 4000) << "\n--- stderr ---\n"
            << r.err.substr(0, 4000);
}

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// Starts statcoder with `args` (after the binary's name) with stdin /dev/null and stdout and
// stderr written to `out` and `err`, in directory `cwd` (the current one when empty); *pid is
// the child. Returns posix_spawn's error number, 0 when it started.
inline int SpawnStatcoder(const std::vector<std::string>& args, const fs::path& out,
                          const fs::path& err, const fs::path& cwd, pid_t* pid) {
  std::vector<std::string> storage = {STATCODER_BIN};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  const int rc = posix_spawn(pid, STATCODER_BIN, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

// Runs statcoder with `args` in directory `cwd` (stdin /dev/null, stdout and stderr captured
// through files in `io_dir`) and waits for it.
inline RunResult RunStatcoder(const std::vector<std::string>& args, const fs::path& cwd,
                              const fs::path& io_dir) {
  static int calls = 0;
  const std::string n = std::to_string(++calls);
  const fs::path out_path = io_dir / ("stdout." + n);
  const fs::path err_path = io_dir / ("stderr." + n);
  pid_t pid = 0;
  const int spawn_error = SpawnStatcoder(args, out_path, err_path, cwd, &pid);
  RunResult result;
  if (spawn_error != 0) {
    ADD_FAILURE() << "cannot start " << STATCODER_BIN << ": error " << spawn_error;
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      ADD_FAILURE() << "waitpid failed: errno " << errno;
      return result;
    }
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  std::error_code ec;
  fs::remove(out_path, ec);
  fs::remove(err_path, ec);
  return result;
}

inline fs::path MakeTempDir() {
  std::string tmpl = (fs::temp_directory_path() / "statcoder_cli_test_XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed: errno " << errno;
    return fs::temp_directory_path();
  }
  return tmpl;
}

// ---- Tables: TSV, CSV and JSON Lines ---------------------------------------------------------

using Row = std::vector<std::string>;
using Table = std::vector<Row>;  // first row is the header

inline std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    out.emplace_back(s.substr(start, end == std::string_view::npos ? s.npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// Lines of a text without the trailing newline; an empty text has none.
inline std::vector<std::string> Lines(std::string_view s) {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  if (s.empty()) return {};
  return Split(s, '\n');
}

inline Table ParseTsv(std::string_view s) {
  Table t;
  for (const std::string& line : Lines(s)) t.push_back(Split(line, '\t'));
  return t;
}

// RFC 4180: quoted fields may hold separators, line breaks and doubled quotes.
inline Table ParseCsv(std::string_view s) {
  Table t;
  Row row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      t.push_back(std::move(row));
      row.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    t.push_back(std::move(row));
  }
  return t;
}

inline std::string ToTsv(const Table& t) {
  std::string s;
  for (const Row& row : t) {
    for (size_t i = 0; i < row.size(); ++i) s += (i ? "\t" : "") + row[i];
    s += '\n';
  }
  return s;
}

inline std::string ToCsv(const Table& t) {
  std::string s;
  for (const Row& row : t) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) s += ',';
      const std::string& f = row[i];
      if (f.find_first_of(",\"\n\r") == std::string::npos) {
        s += f;
        continue;
      }
      s += '"';
      for (char c : f) s += c == '"' ? std::string("\"\"") : std::string(1, c);
      s += '"';
    }
    s += '\n';
  }
  return s;
}

inline std::string ToJsonLines(const Table& t) {
  std::string s;
  for (size_t r = 1; r < t.size(); ++r) {
    json obj = json::object();
    for (size_t c = 0; c < t[0].size(); ++c) obj[t[0][c]] = t[r][c];
    s += obj.dump() + '\n';
  }
  return s;
}

inline size_t ColumnOf(const Table& t, const std::string& name) {
  const auto it = std::find(t.at(0).begin(), t.at(0).end(), name);
  EXPECT_NE(it, t.at(0).end()) << "no column " << name;
  return static_cast<size_t>(it - t.at(0).begin());
}

// The rows of `t` without column `name`.
inline Table DropColumn(Table t, const std::string& name) {
  const auto c = static_cast<std::ptrdiff_t>(ColumnOf(t, name));
  for (Row& row : t) row.erase(row.begin() + c);
  return t;
}

inline json ParseJson(const std::string& s) {
  try {
    return json::parse(s);
  } catch (const json::exception& e) {
    ADD_FAILURE() << "not JSON (" << e.what() << "):\n" << s;
    return json::object();
  }
}

// Two training files cut from the bundled example for workspace tests: its first 900 records
// (`first`) and the next 599 (`second`); small, so that training takes a moment.
struct OnetSubsets {
  std::string first, second;
};
inline OnetSubsets WriteOnetSubsets(const fs::path& dir) {
  const Table all = ParseTsv(ReadFile(kOnet / "train.tsv"));
  Table first = {all[0]}, second = {all[0]};
  for (size_t i = 1; i < all.size(); ++i) (i <= 900 ? first : second).push_back(all[i]);
  second.resize(600);
  OnetSubsets out{(dir / "train_small.tsv").string(), (dir / "train_other.tsv").string()};
  WriteFile(out.first, ToTsv(first));
  WriteFile(out.second, ToTsv(second));
  return out;
}

// A model trained once for a whole test suite (training is the slow part) in its own temporary
// folder, which goes with it. `train_args` are the flags after "train", without --out.
struct SuiteModel {
  explicit SuiteModel(const std::vector<std::string>& train_args)
      : dir(MakeTempDir()), path((dir / "model.stc").string()) {
    std::vector<std::string> args = {"train"};
    args.insert(args.end(), train_args.begin(), train_args.end());
    args.insert(args.end(), {"--out", path});
    train = RunStatcoder(args, dir, dir);
  }
  ~SuiteModel() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  SuiteModel(const SuiteModel&) = delete;
  SuiteModel& operator=(const SuiteModel&) = delete;

  fs::path dir;
  std::string path;  // dir/model.stc
  RunResult train;   // the train run: check its exit code before using the model
};

// ---- Workspaces ------------------------------------------------------------------------------

// Replaces the first `from` in the statcoder.toml of workspace `ws` by `to`.
inline void SetWorkspaceConfig(const std::string& ws, const std::string& from,
                               const std::string& to) {
  std::string toml = ReadFile(fs::path(ws) / "statcoder.toml");
  const size_t at = toml.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  toml.replace(at, from.size(), to);
  WriteFile(fs::path(ws) / "statcoder.toml", toml);
}

// `statcoder init` of workspace `ws` (run in `dir` as alice) with the bundled O*NET code list
// and schema (plus `extra_schema`), then 5 epochs instead of 20: these tests are about the
// workspace, not accuracy.
inline void InitOnetWorkspace(const std::string& ws, const fs::path& dir,
                              const std::string& extra_schema = "") {
  const RunResult r = RunStatcoder({"init", ws, "--codelist",
                                    (kOnet / "soc2018_codelist.tsv").string(), "--schema",
                                    "text=title;label=soc2018;id=id" + extra_schema, "--actor",
                                    "alice"},
                                   dir, dir);
  ASSERT_EQ(r.exit_code, 0) << r;
  SetWorkspaceConfig(ws, "epochs = 20", "epochs = 5");
}

// Base fixture of the workspace tests: a fresh temporary folder per test (`dir_`, removed
// afterwards) holding the two training files of WriteOnetSubsets (`train_`, `other_`) and the
// path of a workspace (`ws_`) that Init() creates.
class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    ws_ = (dir_ / "ws").string();
    const OnetSubsets files = WriteOnetSubsets(dir_);
    train_ = files.first;
    other_ = files.second;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void Init(const std::string& extra_schema = "") { InitOnetWorkspace(ws_, dir_, extra_schema); }
  void SetConfig(const std::string& from, const std::string& to) {
    SetWorkspaceConfig(ws_, from, to);
  }
  // Runs statcoder in dir_ as `actor` (the audit trail's who).
  RunResult Sc(std::vector<std::string> args, const std::string& actor = "alice") const {
    args.insert(args.end(), {"--actor", actor});
    return RunStatcoder(args, dir_, dir_);
  }
  // The standard output of a run that must succeed, as JSON.
  json Json(const RunResult& r) const {
    EXPECT_EQ(r.exit_code, 0) << r;
    return ParseJson(r.out);
  }
  // Ingests `file` into ws_; returns the snapshot id.
  std::string Ingest(const std::string& file, const std::string& kind = "training",
                     std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"ingest", ws_, file, "--kind", kind, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Json(Sc(args)).value("id", "");
  }
  // Trains a model of ws_ on `snapshot`; returns its version.
  std::string Train(const std::string& snapshot) {
    return Json(Sc({"train", ws_, "--snapshot", snapshot, "--json", "--quiet"}))
        .value("model_version", "");
  }

  fs::path dir_;
  std::string ws_, train_, other_;
};

}  // namespace statcoder::cli::testing
