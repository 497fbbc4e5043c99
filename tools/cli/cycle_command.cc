// statcoder cycle: one production cycle of a batch from statcoder.toml's [cycle] (docs/cycle.md):
// ingest, code, refer, monitor and, when due, retrain, compare and promote; resumable.
// statcoder cycle status: the cycles of a workspace.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_common.h"
#include "commands.h"
#include "pipeline/cycle.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

using json = nlohmann::json;

// Exit codes for schedulers beyond the common ones (docs/cli.md, "Exit codes").
constexpr int kExitNothingToDo = 9;   // this batch's cycle had finished: nothing changed
constexpr int kExitWaiting = 10;      // waiting for a person; run again after
constexpr int kExitRetryable = 11;    // failed for a reason that may pass: run again later

struct CycleFlags {
  WorkspaceArgs ws;
  pipeline::CycleOptions options;
  bool quiet = false;
};

struct StatusFlags {
  WorkspaceArgs ws;
};

int ExitFor(pipeline::CycleResult r) {
  switch (r) {
    case pipeline::CycleResult::kDone:
      return kExitOk;
    case pipeline::CycleResult::kNothingToDo:
      return kExitNothingToDo;
    case pipeline::CycleResult::kWaiting:
      return kExitWaiting;
  }
  return kExitOk;
}

// A lock held by another cycle, or the system refusing a read or write, may pass by itself.
bool Retryable(const core::Status& s) {
  return s.code() == core::StatusCode::kIoError ||
         (s.code() == core::StatusCode::kFailedPrecondition &&
          s.message().find("another 'statcoder cycle' is running") != std::string::npos);
}

int RunCycleVerb(CycleFlags& f) {
  core::Result<pipeline::CycleOutcome> out = [&]() -> core::Result<pipeline::CycleOutcome> {
    ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.ws.Open(0, false, nullptr));
    f.options.progress = MakeProgressBar(f.quiet || f.ws.json);
    return pipeline::RunCycle(*ws, f.options);
  }();
  if (!out.ok()) {
    const int code = ReportError("cycle", out.status(), f.ws.json);
    return Retryable(out.status()) ? kExitRetryable : code;
  }
  if (f.ws.json) {
    PrintJson(out->ToJson());
  } else if (!f.quiet) {
    std::printf("%s\n", out->message.c_str());
  }
  return ExitFor(out->result);
}

core::Status RunStatus(StatusFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.ws.Open(0, false, nullptr));
  ASSIGN_OR_RETURN(std::vector<store::CycleRow> cycles, ws->store().ListCycles());
  if (f.ws.json) {
    json list = json::array();
    for (const store::CycleRow& c : cycles) list.push_back(pipeline::CycleToJson(c));
    PrintJson({{"cycles", list}});
    return core::Status::Ok();
  }
  if (cycles.empty()) {
    std::printf("no cycles yet ('statcoder cycle WS --batch FILE')\n");
    return core::Status::Ok();
  }
  std::printf("%-4s %-10s %-8s %-14s %8s %7s  %-14s %s\n", "id", "period", "state", "batch",
              "records", "queued", "challenger", "steps");
  for (const store::CycleRow& c : cycles) {
    std::string steps;
    for (const json& s : c.steps) {
      steps += (steps.empty() ? "" : " ") + s.value("step", "") + ":" + s.value("state", "");
    }
    std::string challenger = c.challenger.empty() ? "-" : c.challenger.substr(0, 12);
    if (c.promoted) challenger += "*";
    std::printf("%-4lld %-10s %-8s %-14s %8lld %7lld  %-14s %s\n",
                static_cast<long long>(c.id), c.period.c_str(), c.state.c_str(),
                c.batch_snapshot.substr(0, 12).c_str(), static_cast<long long>(c.coded_records),
                static_cast<long long>(c.queued_items), challenger.c_str(), steps.c_str());
  }
  if (std::any_of(cycles.begin(), cycles.end(), [](const auto& c) { return c.promoted; })) {
    std::printf("(* promoted to production)\n");
  }
  return core::Status::Ok();
}

}  // namespace

Command AddCycleCommand(CLI::App& app) {
  auto flags = std::make_shared<CycleFlags>();
  auto status = std::make_shared<StatusFlags>();
  CLI::App* sub = app.add_subcommand(
      "cycle",
      "One production cycle of a batch: ingest, code, refer, monitor, retrain, compare, promote "
      "(resumable; exit 0 done, 9 nothing to do, 10 waiting for a person, 11 retry later)");
  flags->ws.AddTo(sub, "");
  sub->add_option("--batch", flags->options.batch_file,
                  "The batch of records to code (TSV, CSV or JSON Lines)");
  sub->add_option("--period", flags->options.period,
                  "The production period this batch belongs to (e.g. 2025-07; default: this "
                  "UTC month)");
  sub->add_option("--threads", flags->options.threads,
                  "Coding and training threads (default: [training] threads)")
      ->check(CLI::Range(0, 1024));
  sub->add_flag("--quiet", flags->quiet, "No progress bar or summary");
  CLI::App* st = sub->add_subcommand("status", "The workspace's cycles, newest last");
  status->ws.AddTo(st, "");
  sub->require_subcommand(0, 1);
  return {sub, [flags, status, st] {
            if (st->parsed()) {
              const core::Status s = RunStatus(*status);
              return s.ok() ? kExitOk : ReportError("cycle status", s, status->ws.json);
            }
            return RunCycleVerb(*flags);
          }};
}

}  // namespace statcoder::cli
