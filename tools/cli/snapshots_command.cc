// statcoder snapshots list|show|diff|export: read the data lake's catalog.
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "lake/snapshot.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct SnapshotsFlags {
  WorkspaceArgs list, show, diff, xport;
  std::string out;
  size_t examples = 10;
};

core::Status RunList(SnapshotsFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.list.Open(0, false, nullptr));
  ASSIGN_OR_RETURN(std::vector<store::SnapshotRow> rows, ws->store().ListSnapshots());
  if (f.list.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : rows) j.push_back(lake::SnapshotToJson(r));
    PrintJson({{"snapshots", j}});
    return core::Status::Ok();
  }
  std::printf("%-14s %-9s %9s %8s  %-20s  %s\n", "id", "kind", "rows", "rejected", "created",
              "source");
  for (const auto& r : rows) {
    std::printf("%-14s %-9s %9llu %8llu  %-20s  %s\n", r.id.substr(0, 12).c_str(), r.kind.c_str(),
                static_cast<unsigned long long>(r.rows),
                static_cast<unsigned long long>(r.rejected), r.created_at.c_str(),
                r.data_source.c_str());
  }
  return core::Status::Ok();
}

core::Status RunShow(SnapshotsFlags& f) {
  std::vector<std::string> ids;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.show.Open(1, false, &ids));
  ASSIGN_OR_RETURN(store::SnapshotRow r, lake::ResolveSnapshot(ws->store(), ids[0]));
  if (f.show.json) {
    PrintJson(lake::SnapshotToJson(r));
    return core::Status::Ok();
  }
  std::printf("snapshot %s\n  kind %s, %llu rows, %llu rejected%s\n  source %s (file %s, sha256 "
              "%s)\n  schema %s\n  parents %s (%s)\n  by %s at %s\n  file %s\n",
              r.id.c_str(), r.kind.c_str(), static_cast<unsigned long long>(r.rows),
              static_cast<unsigned long long>(r.rejected),
              r.rejects_path.empty() ? "" : (" (" + ws->Path(r.rejects_path) + ")").c_str(),
              r.data_source.c_str(), r.source_file.c_str(), r.source_sha256.c_str(),
              r.schema.dump().c_str(), nlohmann::json(r.parents).dump().c_str(),
              r.transformation.c_str(), r.actor.c_str(), r.created_at.c_str(),
              ws->Path(r.path).c_str());
  return core::Status::Ok();
}

core::Status RunDiff(SnapshotsFlags& f) {
  std::vector<std::string> ids;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.diff.Open(2, false, &ids));
  ASSIGN_OR_RETURN(store::SnapshotRow a, lake::ResolveSnapshot(ws->store(), ids[0]));
  ASSIGN_OR_RETURN(store::SnapshotRow b, lake::ResolveSnapshot(ws->store(), ids[1]));
  ASSIGN_OR_RETURN(lake::SnapshotDiff d, lake::DiffSnapshots(*ws, a, b, f.examples));
  if (f.diff.json) {
    nlohmann::json ex = nlohmann::json::array();
    for (const auto& c : d.examples) {
      ex.push_back({{"change", c.kind}, {"key", c.key}, {"old_code", c.old_code},
                    {"new_code", c.new_code}});
    }
    PrintJson({{"from", a.id}, {"to", b.id}, {"matched_by", d.key}, {"added", d.added},
               {"removed", d.removed}, {"relabelled", d.relabelled},
               {"unchanged", d.unchanged}, {"examples", ex}});
    return core::Status::Ok();
  }
  std::printf("%s → %s (records matched by %s)\n  added %llu, removed %llu, relabelled %llu, "
              "unchanged %llu\n",
              a.id.substr(0, 12).c_str(), b.id.substr(0, 12).c_str(), d.key.c_str(),
              static_cast<unsigned long long>(d.added), static_cast<unsigned long long>(d.removed),
              static_cast<unsigned long long>(d.relabelled),
              static_cast<unsigned long long>(d.unchanged));
  for (const auto& c : d.examples) {
    std::printf("  %-10s %s  %s%s%s\n", c.kind.c_str(), c.key.c_str(), c.old_code.c_str(),
                c.kind == "relabelled" ? " → " : "", c.new_code.c_str());
  }
  return core::Status::Ok();
}

core::Status RunExport(SnapshotsFlags& f) {
  std::vector<std::string> ids;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.xport.Open(1, false, &ids));
  ASSIGN_OR_RETURN(store::SnapshotRow r, lake::ResolveSnapshot(ws->store(), ids[0]));
  RETURN_IF_ERROR(lake::ExportSnapshot(*ws, r, f.out));
  if (f.xport.json) {
    PrintJson({{"snapshot", r.id}, {"out", f.out}, {"rows", r.rows}});
  } else {
    std::printf("wrote %llu records of snapshot %s to %s\n",
                static_cast<unsigned long long>(r.rows), r.id.substr(0, 12).c_str(),
                f.out.c_str());
  }
  return core::Status::Ok();
}

}  // namespace

Command AddSnapshotsCommand(CLI::App& app) {
  auto f = std::make_shared<SnapshotsFlags>();
  CLI::App* sub = app.add_subcommand("snapshots", "List, show, compare and export lake snapshots");
  sub->require_subcommand(1);
  CLI::App* list = sub->add_subcommand("list", "Every snapshot, oldest first");
  f->list.AddTo(list, "");
  CLI::App* show = sub->add_subcommand("show", "One snapshot's catalog entry");
  f->show.AddTo(show, "ID");
  CLI::App* diff = sub->add_subcommand("diff", "Rows added, removed and relabelled from A to B");
  f->diff.AddTo(diff, "A B");
  diff->add_option("--examples", f->examples, "Changes listed per kind")->capture_default_str();
  CLI::App* xport = sub->add_subcommand("export", "Write a snapshot's records to a file");
  f->xport.AddTo(xport, "ID");
  xport->add_option("--out", f->out, "File to write (.tsv, .csv or .jsonl)")->required();
  return {sub, [f, list, show, diff, xport] {
            return RunSubverbs("snapshots", {{list, [f] { return RunList(*f); }, &f->list.json},
                                             {show, [f] { return RunShow(*f); }, &f->show.json},
                                             {diff, [f] { return RunDiff(*f); }, &f->diff.json},
                                             {xport, [f] { return RunExport(*f); }, &f->xport.json}});
          }};
}

}  // namespace statcoder::cli
