// statcoder users add|list|disable: who may use the HTTP server, with which role (server/auth.h).
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "server/auth.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct UsersFlags {
  WorkspaceArgs add, list, disable;
  std::string role;
};

core::Status RunAdd(UsersFlags& f) {
  std::vector<std::string> names;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.add.Open(1, false, &names));
  ASSIGN_OR_RETURN(server::Role role, server::ParseRole(f.role));
  ASSIGN_OR_RETURN(server::AddedUser added, server::AddUser(*ws, names[0], role));
  if (f.add.json) {
    PrintJson({{"user", added.row.name}, {"role", added.row.role}, {"token", added.token}});
  } else {
    // The token goes alone to stdout, so `TOKEN=$(statcoder users add ...)` works.
    std::fprintf(stderr,
                 "user %s (%s) added; its API token follows. It is shown only this once: "
                 "statcoder keeps only a hash of it.\n",
                 added.row.name.c_str(), added.row.role.c_str());
    std::printf("%s\n", added.token.c_str());
  }
  return core::Status::Ok();
}

core::Status RunList(UsersFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.list.Open(0, false, nullptr));
  ASSIGN_OR_RETURN(std::vector<store::UserRow> users, ws->store().ListUsers());
  nlohmann::json j = nlohmann::json::array();
  if (!f.list.json)
    std::printf("%-24s %-14s %-9s %-21s %s\n", "name", "role", "state", "created", "by");
  for (const store::UserRow& u : users) {
    if (f.list.json) {
      j.push_back({{"user", u.name},
                   {"role", u.role},
                   {"token_id", u.token_id},
                   {"disabled", u.disabled},
                   {"actor", u.actor},
                   {"created_at", u.created_at}});
    } else {
      std::printf("%-24s %-14s %-9s %-21s %s\n", u.name.c_str(), u.role.c_str(),
                  u.disabled ? "disabled" : "active", u.created_at.c_str(), u.actor.c_str());
    }
  }
  if (f.list.json) PrintJson({{"users", j}});
  return core::Status::Ok();
}

core::Status RunDisable(UsersFlags& f) {
  std::vector<std::string> names;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.disable.Open(1, false, &names));
  RETURN_IF_ERROR(server::DisableUser(*ws, names[0]));
  if (f.disable.json) {
    PrintJson({{"user", names[0]}, {"disabled", true}});
  } else {
    std::printf("user %s disabled; running servers refuse its token within seconds\n",
                names[0].c_str());
  }
  return core::Status::Ok();
}

}  // namespace

Command AddUsersCommand(CLI::App& app) {
  auto f = std::make_shared<UsersFlags>();
  CLI::App* sub = app.add_subcommand("users", "Users of the HTTP server: roles and API tokens");
  sub->require_subcommand(1);
  CLI::App* add = sub->add_subcommand("add", "Add a user and print its API token (once)");
  f->add.AddTo(add, "NAME");
  add->add_option("--role", f->role, "admin, methodologist, coder or viewer")->required();
  CLI::App* list = sub->add_subcommand("list", "Users with their roles (never tokens)");
  f->list.AddTo(list, "");
  CLI::App* disable = sub->add_subcommand("disable", "Disable a user: its token stops working");
  f->disable.AddTo(disable, "NAME");
  return {sub, [=] {
            return RunSubverbs("users",
                               {{add, [f] { return RunAdd(*f); }, &f->add.json},
                                {list, [f] { return RunList(*f); }, &f->list.json},
                                {disable, [f] { return RunDisable(*f); }, &f->disable.json}});
          }};
}

}  // namespace statcoder::cli
