#include "resp.hpp"

#include <algorithm>
#include <charconv>

namespace onbehalf::redis::resp {

void append_command(std::string& out, const std::vector<std::string>& arguments) {
  out += '*';
  out += std::to_string(arguments.size());
  out += "\r\n";
  for (const auto& a : arguments) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out += a;
    out += "\r\n";
  }
}

namespace {

// One pass over the bytes; `fail` and `more` end it, and every step checks them first.
class reader {
public:
  reader(std::string_view data, const limits& l) : data_(data), limits_(l) {}

  parsed run() {
    parsed p;
    p.value = value(0);
    if (!problem_.empty()) {
      p.state = parsed::outcome::invalid;
      p.problem = std::move(problem_);
    } else if (more_) {
      // Bytes the limit would not allow anyway will not make the reply complete.
      p.state = data_.size() >= limits_.max_bytes ? parsed::outcome::invalid : parsed::outcome::incomplete;
      if (p.state == parsed::outcome::invalid) p.problem = "a reply larger than " + std::to_string(limits_.max_bytes) + " bytes";
      p.value = {};
    } else {
      p.state = parsed::outcome::complete;
      p.used = at_;
    }
    return p;
  }

private:
  bool stopped() const { return more_ || !problem_.empty(); }
  void fail(std::string why) {
    if (problem_.empty()) problem_ = std::move(why);
  }

  // The line from the cursor to CRLF, without it; none (and `more_`) when it has not all come.
  std::string_view line() {
    auto end = data_.find("\r\n", at_);
    if (end == std::string_view::npos) {
      if (data_.find('\n', at_) != std::string_view::npos) fail("a line ended by a bare LF");
      more_ = true;
      return {};
    }
    auto text = data_.substr(at_, end - at_);
    if (text.find('\r') != std::string_view::npos || text.find('\n') != std::string_view::npos) fail("a line holding CR or LF");
    at_ = end + 2;
    return text;
  }

  long long number(std::string_view text) {
    long long n = 0;
    if (text.empty() || text.size() > 20 || (text.front() == '+')) {
      fail("a malformed number");
      return 0;
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) fail("a malformed number");
    return n;
  }

  reply value(std::size_t depth) {
    reply r;
    if (at_ >= data_.size()) {
      more_ = true;
      return r;
    }
    char type = data_[at_++];
    auto text = line();
    if (stopped()) return r;
    switch (type) {
    case '+':
      r.type = reply::kind::status;
      r.text = text;
      return r;
    case '-':
      r.type = reply::kind::error;
      r.text = text;
      return r;
    case ':':
      r.type = reply::kind::integer;
      r.integer = number(text);
      return r;
    case '$': return bulk(number(text));
    case '*': return array(number(text), depth);
    default: fail(std::string("an unknown reply type '") + (type >= 0x20 && type < 0x7f ? std::string(1, type) : "?") + "'"); return r;
    }
  }

  reply bulk(long long length) {
    reply r;
    if (stopped()) return r;
    if (length == -1) return r; // nil
    if (length < 0) {
      fail("a negative string length");
      return r;
    }
    if (static_cast<unsigned long long>(length) >= limits_.max_bytes) {
      fail("a string longer than " + std::to_string(limits_.max_bytes) + " bytes");
      return r;
    }
    auto size = static_cast<std::size_t>(length);
    if (data_.size() - at_ < size + 2) {
      more_ = true;
      return r;
    }
    if (data_.compare(at_ + size, 2, "\r\n") != 0) {
      fail("a string not ended by CRLF");
      return r;
    }
    r.type = reply::kind::string;
    r.text.assign(data_.substr(at_, size));
    at_ += size + 2;
    return r;
  }

  reply array(long long count, std::size_t depth) {
    reply r;
    if (stopped()) return r;
    if (count == -1) return r; // nil
    if (count < 0) {
      fail("a negative array length");
      return r;
    }
    if (static_cast<unsigned long long>(count) > limits_.max_elements) {
      fail("an array of more than " + std::to_string(limits_.max_elements) + " elements");
      return r;
    }
    if (depth + 1 > limits_.max_depth) {
      fail("arrays nested deeper than " + std::to_string(limits_.max_depth));
      return r;
    }
    r.type = reply::kind::array;
    // Room only for what the bytes at hand can hold (an element takes at least 3): a count
    // alone must not make us allocate.
    r.elements.reserve(std::min<std::size_t>(static_cast<std::size_t>(count), (data_.size() - at_) / 3));
    for (long long i = 0; i < count && !stopped(); ++i) r.elements.push_back(value(depth + 1));
    return r;
  }

  std::string_view data_;
  const limits& limits_;
  std::size_t at_ = 0;
  bool more_ = false;
  std::string problem_;
};

} // namespace

parsed parse(std::string_view data, const limits& l) { return reader(data, l).run(); }

} // namespace onbehalf::redis::resp
