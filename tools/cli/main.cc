// statcoder: one binary, one verb per task (docs/cli.md).
#include <cstdio>
#include <exception>

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
                                   AddEvaluateCommand(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
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
