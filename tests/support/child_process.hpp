// Runs a helper program (a test peer such as an OpenID provider) for the length of a test.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace onbehalf::testing {

class child_process {
public:
  /// Starts `arguments[0]` (looked up in PATH) with the rest as its arguments; output goes to `log_path`.
  /// `death_signal` is what the helper gets if the test process dies without running destructors.
  child_process(const std::vector<std::string>& arguments, const std::string& log_path, int death_signal = SIGTERM) {
    std::vector<char*> argv;
    for (const auto& a : arguments) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = ::fork();
    if (pid_ == 0) {
      // The helper ends with the test process, even when a test crashes and no destructor runs.
      // (The signal follows the forking thread: tests start helpers from their main thread.)
      ::prctl(PR_SET_PDEATHSIG, death_signal);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(log);
    if (pid_ < 0) throw std::runtime_error("cannot start " + arguments[0]);
  }
  ~child_process() { stop(); }

  /// Ends the process with `signal` and waits for it; nothing when it has already ended.
  void stop(int signal = SIGTERM) {
    if (exited_) return;
    // Only the process this object started, by its PID. SIGCONT too: a paused process would
    // otherwise keep the signal pending, and this wait would never end.
    ::kill(pid_, signal);
    ::kill(pid_, SIGCONT);
    reap(0);
  }

  /// Waits for the process to end by itself; its exit code, or -1 when a signal ended it.
  int wait_for_exit() {
    reap(0);
    return exit_code_;
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// False once the process has exited (for example because it could not start its server).
  bool running() {
    reap(WNOHANG);
    return !exited_;
  }

  /// Stops the process (SIGSTOP) and returns once it is stopped: it holds its sockets but answers nothing.
  void pause() {
    if (exited_) return;
    ::kill(pid_, SIGSTOP);
    reap(WUNTRACED); // returns on the stop (or on an exit, which it records)
  }
  /// Sends a signal to the process this object started (SIGKILL: it dies holding whatever it held).
  void send_signal(int number) {
    if (!exited_) ::kill(pid_, number);
  }

  /// Lets a paused process run again.
  void resume() {
    if (!exited_) ::kill(pid_, SIGCONT);
  }

  pid_t pid() const { return pid_; }

private:
  // Collects the process's end (and its exit code) once, so its PID is never signalled after
  // it may have been given to another process.
  void reap(int options) {
    if (exited_) return;
    int status = 0;
    pid_t r = 0;
    do r = ::waitpid(pid_, &status, options);
    while (r < 0 && errno == EINTR);
    if (r == pid_ && (WIFEXITED(status) || WIFSIGNALED(status))) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    } else if (r < 0) {
      exited_ = true; // not ours to wait for any more
    }
  }

  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
};

} // namespace onbehalf::testing
