// Runs a helper program (a test peer such as an OpenID provider) for the length of a test.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
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
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = ::fork();
    if (pid_ == 0) {
      // The helper ends with the test process, even when a test crashes and no destructor runs.
      // (The signal follows the forking thread: tests start helpers from their main thread.)
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(log);
    if (pid_ < 0) throw std::runtime_error("cannot start " + arguments[0]);
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
