#include "workspace_args.h"

#include <cstdio>
#include <filesystem>

#include "cli_common.h"

namespace statcoder::cli {

void WorkspaceArgs::AddTo(CLI::App* app, const std::string& operands_help) {
  app->add_option("args", positionals, "[WS] " + operands_help);
  app->add_option("--workspace", workspace,
                  "Workspace folder (default: the first argument, or the workspace the current "
                  "folder is in)");
  app->add_option("--actor", actor, "Who is acting, for the audit trail (default: "
                                    "$STATCODER_ACTOR, else the login name)");
  app->add_flag("--json", json, "Print the result as JSON");
  app->add_flag("--allow-outside-paths", allow_outside_paths,
                "Let paths in statcoder.toml ([codelist] file) point outside the workspace folder");
}

core::Result<std::unique_ptr<workspace::Workspace>> WorkspaceArgs::Open(
    size_t n, bool variadic, std::vector<std::string>* operands) const {
  std::string ws = workspace;
  std::vector<std::string> rest = positionals;
  if (ws.empty() && !rest.empty()) {
    // The first argument is the workspace when there is one too many, or (variadic verbs) when
    // it is a workspace folder.
    std::error_code ec;
    const bool is_workspace =
        std::filesystem::exists(std::filesystem::path(rest[0]) / "statcoder.toml", ec);
    if ((!variadic && rest.size() == n + 1) || (variadic && is_workspace)) {
      ws = rest[0];
      rest.erase(rest.begin());
    }
  }
  if (rest.size() < n || (!variadic && rest.size() > n)) {
    return core::InvalidArgument("expected " + std::string(variadic ? "at least " : "") +
                                 std::to_string(n) + " argument(s) after the workspace, got " +
                                 std::to_string(rest.size()) + "; see --help");
  }
  ASSIGN_OR_RETURN(std::string root, workspace::FindWorkspace(ws));
  if (operands) *operands = std::move(rest);
  return workspace::Workspace::Open(root, actor, {.allow_outside_paths = allow_outside_paths});
}

// Invalid UTF-8 (a path or a value from a file) is written as U+FFFD rather than failing.
void PrintJson(const nlohmann::json& j) {
  std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

int RunSubverbs(const std::string& group, const std::vector<Subverb>& subverbs) {
  for (const Subverb& s : subverbs) {
    if (!s.app->parsed()) continue;
    const core::Status status = s.run();
    return status.ok() ? kExitOk : ReportError(group + " " + s.app->get_name(), status, *s.json);
  }
  return kExitUsage;
}

}  // namespace statcoder::cli
