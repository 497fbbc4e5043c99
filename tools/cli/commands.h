// The verbs of the statcoder CLI. Each Add*Command registers its subcommand and flags on `app`
// and returns the function that runs it (returning the process exit code).
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace statcoder::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command AddTrainCommand(CLI::App& app);
Command AddCodeCommand(CLI::App& app);
Command AddEvaluateCommand(CLI::App& app);
Command AddPolicyCommand(CLI::App& app);
Command AddReproduceCommand(CLI::App& app);
Command AddExplainCommand(CLI::App& app);
// Workspace verbs (docs/cli.md, "Workspace").
Command AddInitCommand(CLI::App& app);
Command AddIngestCommand(CLI::App& app);
Command AddSnapshotsCommand(CLI::App& app);
Command AddModelsCommand(CLI::App& app);
Command AddKbCommand(CLI::App& app);
Command AddEthicsCommand(CLI::App& app);
Command AddAuditCommand(CLI::App& app);
Command AddCompareCommand(CLI::App& app);
Command AddMonitorCommand(CLI::App& app);
Command AddShadowCommand(CLI::App& app);
// Server verbs (docs/cli.md, "Server").
Command AddUsersCommand(CLI::App& app);
Command AddServeCommand(CLI::App& app);
Command AddReviewCommand(CLI::App& app);
// The production workflow (docs/cycle.md).
Command AddCycleCommand(CLI::App& app);
// Classification versions (docs/crosswalks.md).
Command AddCrosswalkCommand(CLI::App& app);

}  // namespace statcoder::cli
