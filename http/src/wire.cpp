#include "wire.hpp"

#include "simple_head.hpp"

#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"

#include <boost/beast/http/status.hpp>

#include <algorithm>
#include <array>
#include <charconv>

namespace onbehalf::http::detail {

namespace {

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

void append_field(std::string& out, std::string_view name, std::string_view value) { out.append(name).append(": ").append(value).append("\r\n"); }

// Fields whose framing the writer decides; a handler's copy would contradict it.
bool framing_field(std::string_view name) {
  auto kind = kind_of(name);
  return kind == field_kind::content_length || kind == field_kind::transfer_encoding || kind == field_kind::connection;
}

// Appends the fields that may be written, leaving out framing fields and `also_skip`.
void append_fields(std::string& out, const header_list& headers, std::string_view also_skip = {}) {
  for (const auto& f : headers.all()) {
    if (framing_field(f.name) || (!also_skip.empty() && f.name.size() == also_skip.size() && text::iequals(f.name, also_skip))) continue;
    if (!is_token(f.name) || !writable_field(f.value)) {
      log_warning(
          "Left out a header field that would break the message: its name is not a token, or its value has a line break or another control character",
          {{"field", is_token(f.name) ? f.name : std::string("(malformed name)")}});
      continue;
    }
    append_field(out, f.name, f.value);
  }
}

} // namespace

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return token_characters[static_cast<unsigned char>(c)]; });
}

bool is_request_target(std::string_view text) {
  return !text.empty() && std::none_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F; });
}

bool writable_field(std::string_view text) { return value_end(text.data(), text.data() + text.size()) == text.data() + text.size(); }

void write_response(std::string& out, const response& r, bool keep_alive, bool head_request, bool http10) {
  out.clear();
  out.append("HTTP/1.1 ");
  append_number(out, r.status);
  out.push_back(' ');
  out.append(boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(r.status)));
  out.append("\r\n");
  append_fields(out, r.headers);
  // 1xx, 204 and 304 answers have no body and say no length (RFC 9110 section 8.6).
  bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
  if (!bodiless) {
    out.append("Content-Length: ");
    append_number(out, r.body.size());
    out.append("\r\n");
  }
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  if (!head_request && !bodiless) out.append(r.body);
}

void write_request(std::string& out, std::string_view method, std::string_view target, std::string_view host, const header_list& headers,
                   std::string_view body) {
  out.clear();
  out.append(method).push_back(' ');
  out.append(target).append(" HTTP/1.1\r\n");
  if (auto own_host = headers.find("Host"); own_host && writable_field(*own_host)) {
    append_field(out, "Host", *own_host);
  } else {
    append_field(out, "Host", host);
  }
  append_fields(out, headers, "Host");
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    out.append("Content-Length: ");
    append_number(out, body.size());
    out.append("\r\n");
  }
  out.append("\r\n");
  out.append(body);
}

} // namespace onbehalf::http::detail
