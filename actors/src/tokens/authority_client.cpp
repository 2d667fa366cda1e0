#include "onbehalf/actors/authority_client.hpp"

namespace onbehalf::actors {

identity::fetch_function fetch_over(http::client& web) {
  return [&web](const std::string& url, std::function<void(result<std::string, std::string>)> done) {
    web.send({"GET", url, {}, {}, {}}, [url, done = std::move(done)](http::client_result reply) {
      if (!reply) return done(failure{reply.error().message});
      if (reply->status != 200) return done(failure{"HTTP " + std::to_string(reply->status) + " from " + url});
      done(std::move(reply->body));
    });
  };
}

namespace {

using reply_reader = std::function<token_outcome(const http::client_response&)>;

void send_and_read(http::client& web, const identity::token_http_request& request, reply_reader read, std::function<void(token_outcome)> done,
                   std::optional<std::chrono::milliseconds> timeout) {
  http::client_request r{request.method, request.url, {}, request.body, {}};
  r.response_timeout = timeout;
  for (const auto& [name, value] : request.headers) r.headers.set(name, value);
  web.send(std::move(r), [read = std::move(read), done = std::move(done)](http::client_result reply) {
    if (!reply) {
      auto failure_kind = identity::network_failure(reply.error().message);
      if (reply.error().error == http::client_error::timeout) failure_kind.kind = identity::failure_kind::service_error;
      return done(failure{std::move(failure_kind)});
    }
    done(read(*reply));
  });
}

} // namespace

void send_token_request(http::client& web, const identity::token_http_request& request, std::function<void(token_outcome)> done,
                        std::optional<std::chrono::milliseconds> timeout) {
  auto read = [](const http::client_response& reply) {
    return identity::read_token_response(reply.status, reply.body, reply.headers.find("Retry-After").value_or(""));
  };
  send_and_read(web, request, read, std::move(done), timeout);
}

void send_managed_identity_request(http::client& web, const identity::managed_identity_endpoint& endpoint, const managed_identity_token& wanted,
                                   std::function<void(token_outcome)> done, std::optional<std::chrono::milliseconds> timeout) {
  auto read = [identity_key = wanted.identity_key](const http::client_response& reply) {
    return identity::read_managed_identity_response(reply.status, reply.body, reply.headers.find("Retry-After").value_or(""),
                                                    std::chrono::system_clock::now(), identity_key);
  };
  send_and_read(web, identity::managed_identity_request(endpoint, wanted.resource, wanted.client_id), read, std::move(done), timeout);
}

} // namespace onbehalf::actors
