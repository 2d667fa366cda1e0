// Beast's HTTP parser feeding onbehalf's own request and response values directly: Beast checks
// the syntax, but no Beast message (a node per field) is built and copied. Included by the server
// and the client alone, which include Beast anyway. Private to http/.
#pragma once

#include "onbehalf/http/client.hpp"
#include "onbehalf/http/message.hpp"

#include <boost/beast/http/basic_parser.hpp>

#include <string>
#include <string_view>

namespace onbehalf::http::detail {

/// The body-collecting half both readers share.
template <bool IsRequest>
class message_reader : public boost::beast::http::basic_parser<IsRequest> {
protected:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  message_reader(header_list& headers, std::string& body) : headers_(headers), body_(body) {}

  // Fields after the header are a chunked body's trailers: dropped, so nothing (a cookie, an
  // Authorization) can arrive after a proxy in front has checked the header.
  void on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code&) override {
    if (header_done_) return;
    headers_.add(std::string_view(name.data(), name.size()), std::string(value.data(), value.size()));
  }
  void on_header_impl(error_code&) override { header_done_ = true; }
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) body_.reserve(static_cast<std::size_t>(*length)); // the parser has checked it against the body limit
  }
  std::size_t on_body_impl(string_view data, error_code&) override { return append(data); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view data, error_code&) override { return append(data); }
  void on_finish_impl(error_code&) override {}

private:
  std::size_t append(string_view data) {
    body_.append(data.data(), data.size());
    return data.size();
  }

  header_list& headers_;
  std::string& body_;
  bool header_done_ = false;
};

/// Parses a request into `target`: method, target, path, query, headers, body.
class request_reader final : public message_reader<true> {
public:
  explicit request_reader(request& target) : message_reader(target.headers, target.body), target_(target) {}
  /// HTTP/1.0 or 1.1, once the request line has arrived.
  int version() const noexcept { return version_; }

private:
  void on_request_impl(boost::beast::http::verb, string_view method, string_view target, int version, error_code&) override {
    version_ = version;
    target_.method.assign(method.data(), method.size());
    target_.target.assign(target.data(), target.size());
    std::string_view t = target_.target;
    auto q = t.find('?');
    target_.path.assign(t.substr(0, q));
    if (q != std::string_view::npos) target_.query.assign(t.substr(q + 1));
  }
  void on_response_impl(int, string_view, int, error_code&) override {}

  request& target_;
  int version_ = 11;
};

/// Parses a response into `target`: status, headers, body.
class response_reader final : public message_reader<false> {
public:
  explicit response_reader(client_response& target) : message_reader(target.headers, target.body), target_(target) {}

private:
  void on_request_impl(boost::beast::http::verb, string_view, string_view, int, error_code&) override {}
  void on_response_impl(int status, string_view, int, error_code&) override { target_.status = static_cast<unsigned>(status); }

  client_response& target_;
};

} // namespace onbehalf::http::detail
