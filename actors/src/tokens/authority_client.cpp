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

void send_token_request(http::client& web, const identity::token_http_request& request, std::function<void(token_outcome)> done,
                        std::optional<std::chrono::milliseconds> timeout) {
  http::client_request r{"POST", request.url, {}, request.body, {}};
  r.response_timeout = timeout;
  for (const auto& [name, value] : request.headers) r.headers.set(name, value);
  web.send(std::move(r), [done = std::move(done)](http::client_result reply) {
    if (!reply) {
      auto failure_kind = identity::network_failure(reply.error().message);
      if (reply.error().error == http::client_error::timeout) failure_kind.kind = identity::failure_kind::service_error;
      return done(failure{std::move(failure_kind)});
    }
    done(identity::read_token_response(reply->status, reply->body, reply->headers.find("Retry-After").value_or("")));
  });
}

} // namespace onbehalf::actors
