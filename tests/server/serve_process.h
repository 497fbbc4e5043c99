// A running `statcoder serve` for the server tests: the real binary on a free loopback port
// (--port 0), its stdout and stderr (the access log) in files, stopped with SIGTERM.
#pragma once

#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cli_harness.h"

namespace statcoder::cli::testing {

// A running `statcoder serve`, stopped with SIGTERM (which must exit 0) at the end.
class ServeProcess {
 public:
  ServeProcess(const std::vector<std::string>& args, const fs::path& dir) : dir_(dir) {
    static int n = 0;
    out_ = dir / ("serve.out." + std::to_string(++n));
    err_ = dir / ("serve.err." + std::to_string(n));
    std::vector<std::string> serve_args = {"serve"};
    serve_args.insert(serve_args.end(), args.begin(), args.end());
    serve_args.insert(serve_args.end(), {"--port", "0", "--poll-interval-ms", "200"});
    const int rc = SpawnStatcoder(serve_args, out_, err_, fs::path(), &pid_);
    if (rc != 0) {
      ADD_FAILURE() << "cannot start statcoder serve: " << rc;
      pid_ = -1;
      return;
    }
    // The first line of stdout is {"listening": "http://127.0.0.1:PORT"}.
    for (int i = 0; i < 600 && port_ == 0; ++i) {
      const std::string out = ReadFile(out_);
      if (out.find('\n') != std::string::npos) {
        const std::string url = ParseJson(out.substr(0, out.find('\n'))).value("listening", "");
        port_ = std::stoi(url.substr(url.rfind(':') + 1));
        break;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        ADD_FAILURE() << "statcoder serve exited early:\n" << ReadFile(err_);
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_GT(port_, 0) << ReadFile(err_);
  }
  ~ServeProcess() { Stop(); }

  // SIGTERM; returns the exit code (-1 when killed by a signal or not running).
  int Stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  std::string Log() const { return ReadFile(err_); }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  fs::path dir_, out_, err_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace statcoder::cli::testing
