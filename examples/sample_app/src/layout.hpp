// The sample app's pages: one layout (navigation, who is signed in, tidy CSS) around each page's
// own HTML. Everything shown is escaped here or by the caller with html().
#pragma once

#include "onbehalf/http/exchange.hpp"
#include "onbehalf/http/router.hpp"

#include <string>
#include <string_view>

namespace onbehalf::sample {

/// Escapes text for HTML.
std::string html(std::string_view text);

/// A whole page: the navigation (sign-in or the user and sign-out), a title, and `body` (HTML).
http::response page(const http::exchange_ptr& x, std::string_view title, const std::string& body, unsigned status = 200);

/// Serves the pages' stylesheet, open to everyone and cached by browsers (its address changes with it).
void add_stylesheet(http::router& r);

/// A short notice inside a page: what failed, in plain words, for the user.
std::string notice(std::string_view text);

} // namespace onbehalf::sample
