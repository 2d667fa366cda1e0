// SignedAssertionFromManagedIdentity: the app proves itself with its managed identity's token.
#include "onbehalf/actors/authority_client.hpp"

#include <mutex>
#include <vector>

namespace onbehalf::actors {

namespace {

// Entra refuses an assertion close to expiry; fetch a new token well before.
constexpr std::chrono::minutes renew_before{5};

class managed_identity_assertion final : public identity::assertion_source, public std::enable_shared_from_this<managed_identity_assertion> {
public:
  managed_identity_assertion(http::client& web, identity::managed_identity_endpoint endpoint, managed_identity_token wanted)
      : web_(web), endpoint_(std::move(endpoint)), wanted_(std::move(wanted)) {}

  void assertion_for(const identity::assertion_request& r, identity::assertion_callback done) override {
    std::unique_lock lock(mutex_);
    if (!token_.empty() && r.now + renew_before < expires_) {
      auto token = token_;
      lock.unlock();
      return done(std::move(token));
    }
    waiting_.push_back(std::move(done));
    if (waiting_.size() > 1) return; // a request is on its way
    lock.unlock();
    send_managed_identity_request(web_, endpoint_, wanted_,
                                  [self = shared_from_this()](token_outcome outcome) { self->answered(std::move(outcome)); });
  }

private:
  void answered(token_outcome outcome) {
    std::unique_lock lock(mutex_);
    auto waiting = std::move(waiting_);
    waiting_.clear();
    result<secret, std::string> answer = failure{std::string()};
    if (outcome) {
      token_ = outcome->access_token;
      expires_ = std::chrono::system_clock::now() + outcome->expires_in;
      answer = token_;
    } else {
      answer = failure{"the managed identity's token for " + wanted_.resource + ": " + outcome.error().message()};
    }
    lock.unlock();
    for (auto& done : waiting) done(answer);
  }

  http::client& web_;
  identity::managed_identity_endpoint endpoint_;
  managed_identity_token wanted_;
  std::mutex mutex_;
  secret token_;
  std::chrono::system_clock::time_point expires_;
  std::vector<identity::assertion_callback> waiting_;
};

} // namespace

std::shared_ptr<identity::assertion_source> assertion_from_managed_identity(http::client& web, identity::managed_identity_endpoint endpoint,
                                                                            managed_identity_token wanted) {
  return std::make_shared<managed_identity_assertion>(web, std::move(endpoint), std::move(wanted));
}

} // namespace onbehalf::actors
