// Runs a helper program (a test peer such as an OpenID provider) for the length of a test.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace onbehalf::testing {

class child_process {
public:
  /// Starts `arguments[0]` (looked up in PATH) with the rest as its arguments; output goes to `log_path`.
  child_process(const std::vector<std::string>& arguments, const std::string& log_path) {
    std::vector<char*> argv;
    for (const auto& a : arguments) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&files, 1, 2);
    int failed = posix_spawnp(&pid_, argv[0], &files, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    if (failed) throw std::runtime_error("cannot start " + arguments[0] + " (is it installed?)");
  }
  ~child_process() {
    if (exited_) return;
    // Only the process this object started, by its PID.
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }

  /// Waits for the process to end by itself; its exit code, or -1 when a signal ended it.
  int wait_for_exit() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// False once the process has exited (for example because it could not start its server).
  bool running() {
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) == 0;
  }

private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

} // namespace onbehalf::testing
