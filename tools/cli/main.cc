// statcoder: one binary, one verb per task (docs/cli.md).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string_view>

#include <CLI/CLI.hpp>

#include "cli_common.h"
#include "commands.h"
#include "core/version.h"

int main(int argc, char** argv) {
  using namespace statcoder::cli;
  CLI::App app{"statcoder: automated coding of records to official classifications"};
  app.set_version_flag("--version", statcoder::core::kStatcoderVersion);
  app.require_subcommand(1);
  std::vector<Command> commands = {AddTrainCommand(app), AddCodeCommand(app),
                                   AddEvaluateCommand(app), AddPolicyCommand(app),
                                   AddReproduceCommand(app)};
  for (auto add : {AddExplainCommand, AddInitCommand, AddIngestCommand, AddSnapshotsCommand,
                   AddModelsCommand, AddKbCommand, AddEthicsCommand, AddAuditCommand}) {
    commands.push_back(add(app));
  }
  commands.push_back(AddCompareCommand(app));
  commands.push_back(AddMonitorCommand(app));
  commands.push_back(AddShadowCommand(app));
  commands.push_back(AddUsersCommand(app));
  commands.push_back(AddReviewCommand(app));
  commands.push_back(AddServeCommand(app));
  commands.push_back(AddCycleCommand(app));
  commands.push_back(AddCrosswalkCommand(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --json promises machine-readable errors (docs/cli.md), also for flags CLI11 rejects.
    const bool json = std::any_of(argv + 1, argv + argc,
                                  [](const char* a) { return std::string_view(a) == "--json"; });
    if (json && e.get_exit_code() != 0) {
      return ReportError("", statcoder::core::InvalidArgument(e.what()), /*json=*/true);
    }
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  try {
    for (const Command& c : commands) {
      if (c.app->parsed()) return c.run();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "statcoder: internal error: %s\n", e.what());
    return kExitInternal;
  }
  return kExitUsage;
}
