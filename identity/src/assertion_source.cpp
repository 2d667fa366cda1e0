#include "onbehalf/identity/assertion_source.hpp"

#include "onbehalf/core/text.hpp"
#include "onbehalf/core/watched_file.hpp"

#include <algorithm>

namespace onbehalf::identity {

namespace {

class certificate_in_memory final : public assertion_source {
public:
  explicit certificate_in_memory(client_certificate c) : certificate_(std::move(c)) {}
  void assertion_for(const assertion_request& r, assertion_callback done) override {
    done(secret(make_client_assertion(certificate_, r.client_id, r.token_endpoint, r.now)));
  }

private:
  client_certificate certificate_;
};

class certificate_file final : public assertion_source {
public:
  certificate_file(std::string path, secret password)
      : file_(std::move(path),
              [password = std::move(password)](const std::string& content) { return client_certificate::from_bytes(content, password); }) {}

  void assertion_for(const assertion_request& r, assertion_callback done) override {
    auto certificate = file_.current();
    if (!certificate) return done(failure{certificate.error()});
    done(secret(make_client_assertion(**certificate, r.client_id, r.token_endpoint, r.now)));
  }

private:
  watched_file<client_certificate> file_;
};

class assertion_file final : public assertion_source {
public:
  explicit assertion_file(std::string path)
      : file_(std::move(path), [](const std::string& content) -> result<secret, std::string> {
          auto token = text::trim(content);
          if (token.empty()) return failure{std::string("the file holds no token")};
          if (std::count(token.begin(), token.end(), '.') != 2) return failure{std::string("the file does not hold a signed token (a JWT)")};
          return secret(std::string(token));
        }) {}

  void assertion_for(const assertion_request&, assertion_callback done) override {
    auto token = file_.current();
    if (!token) return done(failure{token.error()});
    done(**token);
  }

private:
  watched_file<secret> file_;
};

} // namespace

std::shared_ptr<assertion_source> signed_with(client_certificate certificate) {
  return std::make_shared<certificate_in_memory>(std::move(certificate));
}

std::shared_ptr<assertion_source> signed_with_certificate_file(std::string path, secret password) {
  return std::make_shared<certificate_file>(std::move(path), std::move(password));
}

std::shared_ptr<assertion_source> assertion_from_file(std::string path) { return std::make_shared<assertion_file>(std::move(path)); }

} // namespace onbehalf::identity
