// JSON files as configuration layers, parsed with simdjson's on-demand API.
#include "onbehalf/config/configuration.hpp"

#include "onbehalf/core/text.hpp"

#include <simdjson.h>

#include <set>

namespace onbehalf::config {

namespace {

namespace od = simdjson::ondemand;

// Blanks out comments and trailing commas (which JSON itself forbids but appsettings.json files
// often contain) with spaces, keeping every other byte where it was so lines and columns stay true.
std::string blank_comments_and_trailing_commas(std::string_view in) {
  std::string out(in);
  std::size_t last_comma = std::string::npos;
  for (std::size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (c == '"') {
      last_comma = std::string::npos;
      for (++i; i < out.size() && out[i] != '"'; ++i)
        if (out[i] == '\\') ++i;
    } else if (c == '/' && i + 1 < out.size() && out[i + 1] == '/') {
      for (; i < out.size() && out[i] != '\n'; ++i) out[i] = ' ';
    } else if (c == '/' && i + 1 < out.size() && out[i + 1] == '*') {
      auto end = out.find("*/", i + 2);
      auto stop = end == std::string::npos ? out.size() : end + 2;
      for (; i < stop; ++i)
        if (out[i] != '\n') out[i] = ' ';
      --i;
    } else if (c == ',') {
      last_comma = i;
    } else if ((c == '}' || c == ']') && last_comma != std::string::npos) {
      out[last_comma] = ' ';
      last_comma = std::string::npos;
    } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      last_comma = std::string::npos;
    }
  }
  return out;
}

struct position {
  int line = 1;
  int column = 1;
};

position position_of(std::string_view text, std::size_t offset) {
  position p;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

std::string describe(simdjson::error_code code) {
  switch (code) {
  case simdjson::TAPE_ERROR:
  case simdjson::INCOMPLETE_ARRAY_OR_OBJECT: return "malformed JSON: a comma, colon, quote or closing bracket is missing or misplaced";
  case simdjson::UNCLOSED_STRING: return "malformed JSON: a string is not closed";
  case simdjson::STRING_ERROR: return "malformed JSON: invalid escape or control character in a string";
  case simdjson::UTF8_ERROR: return "malformed JSON: the file is not valid UTF-8";
  case simdjson::NUMBER_ERROR: return "malformed JSON: invalid number";
  case simdjson::T_ATOM_ERROR:
  case simdjson::F_ATOM_ERROR:
  case simdjson::N_ATOM_ERROR: return "malformed JSON: unknown word (strings need double quotes; true, false and null are lower case)";
  case simdjson::DEPTH_ERROR: return "malformed JSON: nested too deeply";
  case simdjson::EMPTY: return "the file is empty; it must contain a JSON object such as {}";
  default: return std::string("malformed JSON: ") + simdjson::error_message(code);
  }
}

class flattener {
public:
  flattener(std::string_view text, const std::string& origin, configuration& into) : text_(text), origin_(origin), into_(into) {}

  result<bool, problem> run(od::document& doc) {
    od::object root;
    if (auto code = doc.get_object().get(root)) {
      if (code == simdjson::INCORRECT_TYPE) return fail_at(doc, "the top level must be a JSON object { ... }");
      return fail_at(doc, describe(code));
    }
    if (auto code = walk_object(root, "")) return fail_at(doc, describe(code));
    if (!problem_.message.empty()) return failure{problem_};
    if (auto end = end_of_root_object(); text_.find_first_not_of(" \t\r\n", end) != std::string_view::npos) {
      auto p = position_of(text_, text_.find_first_not_of(" \t\r\n", end));
      return failure{problem{"", {origin_, p.line, p.column}, "malformed JSON: unexpected text after the closing }"}};
    }
    return true;
  }

private:
  result<bool, problem> fail_at(od::document& doc, std::string message) {
    std::size_t offset = text_.size();
    const char* where = nullptr;
    if (!doc.current_location().get(where) && where >= text_.data() && where <= text_.data() + text_.size())
      offset = static_cast<std::size_t>(where - text_.data());
    auto p = position_of(text_, offset);
    return failure{problem{"", {origin_, p.line, p.column}, std::move(message)}};
  }

  // Offset just past the root object's closing brace. simdjson 3.0's on-demand document cannot
  // say whether text follows the root, so count brackets outside strings.
  std::size_t end_of_root_object() const {
    int depth = 0;
    for (std::size_t i = 0; i < text_.size(); ++i) {
      char c = text_[i];
      if (c == '"') {
        for (++i; i < text_.size() && text_[i] != '"'; ++i)
          if (text_[i] == '\\') ++i;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return i + 1;
      }
    }
    return text_.size();
  }

  source_location locate(const char* where) const {
    auto p = position_of(text_, static_cast<std::size_t>(where - text_.data()));
    return {origin_, p.line, p.column};
  }

  // An empty object is kept as a key without a value: `"ManagedIdentity": {}` says something.
  simdjson::error_code walk_object(od::object object, const std::string& path, const char* where = nullptr) {
    std::set<std::string> seen;
    for (auto field_result : object) {
      od::field field;
      if (auto code = std::move(field_result).get(field)) return code;
      std::string_view key;
      if (auto code = field.unescaped_key().get(key)) return code;
      std::string child = path.empty() ? std::string(key) : path + ":" + std::string(key);
      std::string_view token = field.value().raw_json_token();
      if (!seen.insert(text::to_lower(key)).second && problem_.message.empty())
        problem_ = {child, locate(token.data()), "the key appears twice in the same object"};
      if (auto code = walk_value(field.value(), child, token.data())) return code;
    }
    if (seen.empty() && !path.empty() && where) into_.set(path, "", locate(where));
    return simdjson::SUCCESS;
  }

  simdjson::error_code walk_value(od::value value, const std::string& path, const char* where) {
    od::json_type type;
    if (auto code = value.type().get(type)) return code;
    switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto code = value.get_object().get(object)) return code;
      return walk_object(object, path, where);
    }
    case od::json_type::array: {
      od::array array;
      if (auto code = value.get_array().get(array)) return code;
      std::size_t index = 0;
      for (auto element_result : array) {
        od::value element;
        if (auto code = std::move(element_result).get(element)) return code;
        std::string_view token = element.raw_json_token();
        if (auto code = walk_value(element, path + ":" + std::to_string(index++), token.data())) return code;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto code = value.get_string().get(s)) return code;
      into_.set(path, std::string(s), locate(where));
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      std::string_view token = value.raw_json_token();
      od::number number;
      if (auto code = value.get_number().get(number)) return code;
      auto end = token.find_last_not_of(" \t\r\n");
      into_.set(path, std::string(token.substr(0, end + 1)), locate(where));
      return simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
      bool b = false;
      if (auto code = value.get_bool().get(b)) return code;
      into_.set(path, b ? "true" : "false", locate(where));
      return simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto code = value.is_null().get(is_null)) return code;
      into_.set(path, "", locate(where));
      return simdjson::SUCCESS;
    }
    }
    return simdjson::SUCCESS;
  }

  std::string_view text_;
  const std::string& origin_;
  configuration& into_;
  problem problem_;
};

} // namespace

result<bool, problem> parse_json_layer(std::string_view json, const std::string& origin, configuration& into) {
  auto cleaned = blank_comments_and_trailing_commas(json);
  simdjson::padded_string padded(cleaned);
  od::parser parser;
  od::document doc;
  if (auto code = parser.iterate(padded).get(doc)) {
    auto p = position_of(json, 0);
    return failure{problem{"", {origin, p.line, p.column}, describe(code)}};
  }
  // Values land in a scratch layer first, so a file that fails half-way changes nothing.
  configuration layer;
  flattener f(std::string_view(padded.data(), padded.size()), origin, layer);
  auto outcome = f.run(doc);
  if (!outcome) return outcome;
  for (const auto& [_, e] : layer.entries()) into.set(e.key, e.value, e.source);
  return true;
}

} // namespace onbehalf::config
