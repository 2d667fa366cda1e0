// HTTP requests and responses as handlers see them: plain values, no Beast types,
// so code that only handles requests does not pay for Beast's headers.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::http {

struct header_field {
  std::string name;
  std::string value;
};

/// Header fields in arrival order; names compare without case.
class header_list {
public:
  std::optional<std::string_view> find(std::string_view name) const;
  /// Replaces every field of that name with one field.
  void set(std::string_view name, std::string value);
  void add(std::string_view name, std::string value);
  void reserve(std::size_t fields) { fields_.reserve(fields); }
  const std::vector<header_field>& all() const noexcept { return fields_; }

private:
  std::vector<header_field> fields_;
};

/// The value of cookie `name` from the request's Cookie headers (RFC 6265 section 5.4 syntax), if sent.
std::optional<std::string> find_cookie(const header_list& headers, std::string_view name);

struct request {
  std::string method; // upper case, as sent
  std::string target; // path and query as sent
  std::string path;   // target before '?', not decoded
  std::string query;  // target after '?', not decoded
  header_list headers;
  std::string body;
  bool secure = false; // arrived over TLS
  std::string remote_address;
  std::string correlation_id; // from X-Correlation-ID when well-formed, else generated
};

/// True for a request that a script sent and that cannot follow a redirect to a sign-in page:
/// `X-Requested-With: XMLHttpRequest`, an Accept header that wants JSON and not HTML, or a
/// WebSocket handshake.
bool is_api_request(const request& r);

class websocket;

struct response {
  unsigned status = 200;
  header_list headers;
  std::string body;
  /// Set by exchange::accept_websocket: the server upgrades the connection and carries this
  /// socket's messages instead of sending a response.
  std::shared_ptr<websocket> upgrade;

  static response text(unsigned status, std::string body);
  static response json(unsigned status, std::string body);
  /// A plain-words error body that says what went wrong and what to do.
  static response error(unsigned status, std::string_view message);
  /// The same for a person in a browser: a small HTML page with a title, the message, and a
  /// link to follow (e.g. "Sign in again" → "/MicrosoftIdentity/Account/SignIn").
  static response page(unsigned status, std::string_view title, std::string_view message, std::string_view link_text = "Go to the home page",
                       std::string_view link = "/");
  /// The same page with a button that POSTs to `action` (a path of this site) instead of a link:
  /// for what following a link from another site must not do by itself (a sign-out).
  static response confirmation_page(unsigned status, std::string_view title, std::string_view message, std::string_view button_text,
                                    std::string_view action);
  /// A 302 to `location`.
  static response redirect(std::string location);
};

} // namespace onbehalf::http
