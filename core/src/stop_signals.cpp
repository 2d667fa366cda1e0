#include "onbehalf/core/stop_signals.hpp"

#include <csignal>
#include <pthread.h>

namespace onbehalf {

namespace {
sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
} // namespace

void block_stop_signals() {
  auto set = stop_signal_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

const char* wait_for_stop_signal() {
  auto set = stop_signal_set();
  int received = 0;
  sigwait(&set, &received);
  return received == SIGINT ? "SIGINT" : "SIGTERM";
}

} // namespace onbehalf
