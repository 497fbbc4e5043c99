// What every workspace verb shares: which workspace (the first positional argument, or
// --workspace, or the nearest folder holding statcoder.toml from the current one upwards), who
// acts (--actor, else $STATCODER_ACTOR, else the login name) and --json output.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/result.h"
#include "workspace/workspace.h"

namespace statcoder::cli {

struct WorkspaceArgs {
  std::string workspace, actor;
  std::vector<std::string> positionals;
  bool json = false;
  bool allow_outside_paths = false;  // --allow-outside-paths (workspace::OpenOptions)

  // Adds the positional arguments ("[WS] <operands_help>"), --workspace, --actor and --json.
  void AddTo(CLI::App* app, const std::string& operands_help);

  // Splits the positionals into the workspace and its operands — exactly `n`, or at least `n`
  // when `variadic` — and opens the workspace.
  core::Result<std::unique_ptr<workspace::Workspace>> Open(size_t n, bool variadic,
                                                           std::vector<std::string>* operands) const;
};

// Prints a JSON document on standard output.
void PrintJson(const nlohmann::json& j);

// A verb group ("snapshots list|show|..."): runs whichever child was parsed.
struct Subverb {
  CLI::App* app;
  std::function<core::Status()> run;
  bool* json;
};
int RunSubverbs(const std::string& group, const std::vector<Subverb>& subverbs);

}  // namespace statcoder::cli
