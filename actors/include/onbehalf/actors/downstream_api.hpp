// Named downstream APIs from configuration (MIW's IDownstreamApi): a call names the API, may
// change any of its options for this call, and gets the API's answer — a typed body, the raw
// response, or a call_failure saying why not (a challenge when the user must consent or satisfy
// a claims challenge, the API's error status, an API that could not be reached).
//
//   auto profile = co_await apis.get_for_user<user_profile>(x, "MyAPI", [](auto& o) { o.relative_path = "api/profile"; });
//
// The per-call lambda runs before the call returns; capture by reference (g++ 12: see task.hpp).
#pragma once

#include "onbehalf/actors/authorization_header_provider.hpp"
#include "onbehalf/actors/call_failure.hpp"
#include "onbehalf/actors/token_service.hpp"
#include "onbehalf/config/settings.hpp"
#include "onbehalf/core/task.hpp"
#include "onbehalf/http/client.hpp"
#include "onbehalf/json/mapping.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::actors {

/// One call's options: the named API's configured options, changed as the call wants.
struct downstream_call_options : config::downstream_api_options {
  /// The last word on the request before it is sent (MIW's CustomizeHttpRequestMessage): add a
  /// header, change the URL. The Authorization header is already set.
  std::function<void(http::client_request&)> customize_request;
  /// Stops the call (closing its connection) once cancelled; by default the user's
  /// request_aborted(): a call made for a request whose client went away stops with it.
  cancellation_ptr cancel_with;
};

/// A 2xx answer as received.
struct api_response {
  unsigned status = 0;
  http::header_list headers;
  std::string body;
};

/// Figures for /metrics.
struct downstream_statistics {
  struct per_api {
    std::string api;
    std::size_t calls = 0;
    std::size_t succeeded = 0;
    std::size_t challenges = 0;
    std::size_t error_statuses = 0;
    std::size_t unreachable = 0;
    std::size_t token_failures = 0;
    std::size_t cancelled = 0; // stopped because the request they were made for was abandoned
    std::size_t retries = 0;   // sends after the first, to an API that was unreachable or busy
    double seconds = 0;        // summed over calls, token acquisition included
  };
  std::vector<per_api> apis;
};

class downstream_api {
public:
  downstream_api(token_service& tokens, http::client& web);
  /// APIs can be added (and handlers can keep a reference) before the services exist; calls
  /// made before attach() fail with a configuration error.
  downstream_api();
  ~downstream_api();
  void attach(token_service& tokens, http::client& web);
  void detach();
  downstream_api(const downstream_api&) = delete;
  downstream_api& operator=(const downstream_api&) = delete;

  /// AddDownstreamApis: every entry of the DownstreamApis section.
  void add_all(const std::vector<config::downstream_api_options>& apis);
  /// AddDownstreamApi: one API by name; an entry of the same name is replaced.
  void add(config::downstream_api_options api);
  const config::downstream_api_options* find(std::string_view name) const;

  struct no_change {
    void operator()(downstream_call_options&) const {}
  };

  /// The raw call, with the configured HttpMethod unless the call changes it. `body` is sent as
  /// is, with the API's ContentType.
  template <class Configure = no_change>
  task<call_result<api_response>> call_for_user(signed_in_user user, std::string_view api, Configure configure = {},
                                                std::optional<std::string> body = {}) {
    return send(std::move(user), prepare(api, {}, configure), std::move(body));
  }
  template <class Configure = no_change>
  task<call_result<api_response>> call_for_app(std::string_view api, Configure configure = {}, std::optional<std::string> body = {}) {
    return send(std::nullopt, prepare(api, {}, configure), std::move(body));
  }

  template <class Out, class Configure = no_change>
  task<call_result<Out>> get_for_user(signed_in_user user, std::string_view api, Configure configure = {}) {
    return typed<Out>(send(std::move(user), prepare(api, "GET", configure), std::nullopt), std::string(api));
  }
  template <class Out, class Configure = no_change>
  task<call_result<Out>> get_for_app(std::string_view api, Configure configure = {}) {
    return typed<Out>(send(std::nullopt, prepare(api, "GET", configure), std::nullopt), std::string(api));
  }

  /// POST, PUT and PATCH send `input` as JSON; Out = void ignores the answer's body.
  template <class In, class Out = void, class Configure = no_change>
  task<call_result<Out>> post_for_user(signed_in_user user, std::string_view api, const In& input, Configure configure = {}) {
    return typed<Out>(send(std::move(user), prepare(api, "POST", configure), json::write(input)), std::string(api));
  }
  template <class In, class Out = void, class Configure = no_change>
  task<call_result<Out>> post_for_app(std::string_view api, const In& input, Configure configure = {}) {
    return typed<Out>(send(std::nullopt, prepare(api, "POST", configure), json::write(input)), std::string(api));
  }
  template <class In, class Out = void, class Configure = no_change>
  task<call_result<Out>> put_for_user(signed_in_user user, std::string_view api, const In& input, Configure configure = {}) {
    return typed<Out>(send(std::move(user), prepare(api, "PUT", configure), json::write(input)), std::string(api));
  }
  template <class In, class Out = void, class Configure = no_change>
  task<call_result<Out>> put_for_app(std::string_view api, const In& input, Configure configure = {}) {
    return typed<Out>(send(std::nullopt, prepare(api, "PUT", configure), json::write(input)), std::string(api));
  }
  template <class In, class Out = void, class Configure = no_change>
  task<call_result<Out>> patch_for_user(signed_in_user user, std::string_view api, const In& input, Configure configure = {}) {
    return typed<Out>(send(std::move(user), prepare(api, "PATCH", configure), json::write(input)), std::string(api));
  }
  template <class In, class Out = void, class Configure = no_change>
  task<call_result<Out>> patch_for_app(std::string_view api, const In& input, Configure configure = {}) {
    return typed<Out>(send(std::nullopt, prepare(api, "PATCH", configure), json::write(input)), std::string(api));
  }

  /// DELETE; success carries nothing.
  template <class Configure = no_change>
  task<call_result<void>> delete_for_user(signed_in_user user, std::string_view api, Configure configure = {}) {
    return typed<void>(send(std::move(user), prepare(api, "DELETE", configure), std::nullopt), std::string(api));
  }
  template <class Configure = no_change>
  task<call_result<void>> delete_for_app(std::string_view api, Configure configure = {}) {
    return typed<void>(send(std::nullopt, prepare(api, "DELETE", configure), std::nullopt), std::string(api));
  }

  downstream_statistics statistics() const;

private:
  // A call's options live on the heap from the copy on: they travel through the call's layers
  // of coroutines as a pointer, not as a dozen strings moved at each.
  using prepared_call = call_result<std::unique_ptr<downstream_call_options>>;

  template <class Configure>
  prepared_call prepare(std::string_view api, std::string_view method, Configure& configure) const {
    auto options = configured(api);
    if (!options) return options;
    if (!method.empty()) (*options)->http_method = std::string(method);
    configure(**options);
    return options;
  }

  template <class Out>
  static task<call_result<Out>> typed(task<call_result<api_response>> call, std::string api) {
    auto answer = co_await call;
    if (!answer) co_return failure{std::move(answer.error())};
    co_return body_as<Out>(std::move(*answer), api);
  }

  template <class Out>
  static call_result<Out> body_as(api_response r, const std::string& api) {
    if constexpr (std::is_void_v<Out>) {
      return {};
    } else if constexpr (std::is_same_v<Out, api_response>) {
      return r;
    } else if constexpr (std::is_same_v<Out, std::string>) {
      return std::move(r.body);
    } else {
      if constexpr (json::detail::is_optional<Out>::value) {
        if (r.body.find_first_not_of(" \t\r\n") == std::string::npos) return Out{};
      }
      auto mapped = json::read_as<Out>(r.body);
      if (!mapped) return failure{call_failure(unexpected_body{api, std::move(mapped.error())})};
      return std::move(*mapped);
    }
  }

  prepared_call configured(std::string_view api) const;
  task<call_result<api_response>> send(std::optional<signed_in_user> user, prepared_call options, std::optional<std::string> body);

  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace onbehalf::actors
