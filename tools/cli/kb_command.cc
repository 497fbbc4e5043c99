// statcoder kb add|remove|import|list: the expert knowledge base, consulted before the model.
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "kb/knowledge_base.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct KbFlags {
  WorkspaceArgs add, remove, import, list;
  std::string text, code, note;
  std::vector<std::string> context;
  int64_t version = -1;
};

core::Status PrintEdit(const WorkspaceArgs& args, const kb::KbEditResult& r) {
  if (args.json) {
    PrintJson({{"version", r.version},
               {"added", r.added},
               {"replaced", r.replaced},
               {"unchanged", r.unchanged},
               {"removed", r.removed},
               {"entry_ids", r.entry_ids}});
  } else {
    std::printf("knowledge base version %lld: %llu added, %llu replaced, %llu unchanged, %llu "
                "removed\n",
                static_cast<long long>(r.version), static_cast<unsigned long long>(r.added),
                static_cast<unsigned long long>(r.replaced),
                static_cast<unsigned long long>(r.unchanged),
                static_cast<unsigned long long>(r.removed));
  }
  return core::Status::Ok();
}

core::Status RunAdd(KbFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.add.Open(0, false, nullptr));
  kb::KbEdit e{f.text, {}, f.code, f.note};
  for (const std::string& c : f.context) {
    const size_t eq = c.find('=');
    if (eq == std::string::npos || eq == 0) {
      return core::InvalidArgument("--context must look like field=value, got '" + c + "'");
    }
    e.context[c.substr(0, eq)] = c.substr(eq + 1);
  }
  ASSIGN_OR_RETURN(kb::KbEditResult r, kb::AddEntries(*ws, {e}, "kb add"));
  return PrintEdit(f.add, r);
}

core::Status RunRemove(KbFlags& f) {
  std::vector<std::string> ids;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.remove.Open(1, true, &ids));
  std::vector<int64_t> numbers;
  for (const std::string& id : ids) {
    try {
      size_t used = 0;
      numbers.push_back(std::stoll(id, &used));
      if (used != id.size()) throw std::invalid_argument(id);
    } catch (const std::exception&) {
      return core::InvalidArgument("'" + id + "' is not an entry id; see 'statcoder kb list'");
    }
  }
  ASSIGN_OR_RETURN(kb::KbEditResult r, kb::RemoveEntries(*ws, numbers));
  return PrintEdit(f.remove, r);
}

core::Status RunImport(KbFlags& f) {
  std::vector<std::string> files;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.import.Open(1, false, &files));
  ASSIGN_OR_RETURN(kb::KbEditResult r, kb::ImportEntries(*ws, files[0]));
  return PrintEdit(f.import, r);
}

core::Status RunList(KbFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.list.Open(0, false, nullptr));
  ASSIGN_OR_RETURN(kb::KnowledgeBase base,
                   kb::KnowledgeBase::Load(ws->store(), ws->config().schema, f.version));
  if (f.list.json) {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& e : base.entries()) entries.push_back(kb::KbEntryToJson(e));
    PrintJson({{"version", base.version()}, {"entries", entries}});
    return core::Status::Ok();
  }
  std::printf("knowledge base version %lld, %zu entries\n", static_cast<long long>(base.version()),
              base.size());
  for (const auto& e : base.entries()) {
    std::printf("%6lld  %-12s %s%s%s\n", static_cast<long long>(e.id), e.code.c_str(),
                e.text.c_str(), e.context.empty() ? "" : "  ", e.context.empty() ? "" : e.context.dump().c_str());
  }
  return core::Status::Ok();
}

}  // namespace

Command AddKbCommand(CLI::App& app) {
  auto f = std::make_shared<KbFlags>();
  CLI::App* sub = app.add_subcommand(
      "kb", "The expert knowledge base: confirmed text → code mappings used before the model");
  sub->require_subcommand(1);
  CLI::App* add = sub->add_subcommand("add", "Add (or replace) one mapping");
  f->add.AddTo(add, "");
  add->add_option("--text", f->text, "The text (several text fields: 'a | b')")->required();
  add->add_option("--code", f->code, "The confirmed code")->required();
  add->add_option("--context", f->context, "Categorical context, field=value (repeatable)");
  add->add_option("--note", f->note, "Why, or the source of the decision");
  CLI::App* remove = sub->add_subcommand("remove", "Remove entries by id");
  f->remove.AddTo(remove, "ID...");
  CLI::App* import = sub->add_subcommand(
      "import", "Add mappings from a file with columns text, code [, note, context fields]");
  f->import.AddTo(import, "FILE");
  CLI::App* list = sub->add_subcommand("list", "Entries in force");
  f->list.AddTo(list, "");
  list->add_option("--version", f->version, "As of this knowledge-base version");
  return {sub, [=] {
            return RunSubverbs("kb", {{add, [f] { return RunAdd(*f); }, &f->add.json},
                                      {remove, [f] { return RunRemove(*f); }, &f->remove.json},
                                      {import, [f] { return RunImport(*f); }, &f->import.json},
                                      {list, [f] { return RunList(*f); }, &f->list.json}});
          }};
}

}  // namespace statcoder::cli
