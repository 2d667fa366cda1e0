// What the sample API's endpoints answer and take, as described structs for
// actors::downstream_api: the sample web app and the tests call the API with these.
// Members the API leaves out keep their defaults when read.
#pragma once

#include <boost/describe/class.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace onbehalf::sample_api {

/// GET api/profile: the caller, as the API saw their token.
struct profile {
  std::string id;
  std::string display_name;
  std::string user_principal_name;
  std::vector<std::string> scopes; // the token's scp
};
BOOST_DESCRIBE_STRUCT(profile, (), (id, display_name, user_principal_name, scopes))

/// GET api/todos and api/todos/{id}.
struct todo {
  std::int64_t id = 0;
  std::string title;
  bool done = false;
};
BOOST_DESCRIBE_STRUCT(todo, (), (id, title, done))

/// POST api/todos, PUT and PATCH api/todos/{id}: what is set changes.
struct todo_change {
  std::optional<std::string> title;
  std::optional<bool> done;
};
BOOST_DESCRIBE_STRUCT(todo_change, (), (title, done))

} // namespace onbehalf::sample_api
