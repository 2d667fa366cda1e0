// What the sample web API (the middle tier) answers, as described structs: the sample web app
// calls it with these.
#pragma once

#include "onbehalf/sample_api/contract.hpp"

#include <boost/describe/class.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace onbehalf::sample_webapi {

/// GET api/overview: the caller, as three APIs further down see them — each called on the
/// caller's behalf with a token the middle tier acquired on behalf of the caller's token.
struct overview {
  std::string caller;             // the name in the token the middle tier admitted
  sample_api::profile profile;    // the sample API's view of the user
  std::string graph_display_name; // Graph's /me
  std::size_t open_todos = 0;     // the sample API's todos not done
};
BOOST_DESCRIBE_STRUCT(overview, (), (caller, profile, graph_display_name, open_todos))

// GET api/profile answers the sample API's sample_api::profile: one call on the caller's behalf.

/// GET api/inbox: the subjects of the caller's latest messages, read from Graph on the caller's
/// behalf with Mail.Read, a permission asked for by name: users consent to it for the middle tier
/// through the web app that calls it (combined consent), once its registration lists it.
struct inbox {
  std::string caller;
  std::vector<std::string> subjects;
};
BOOST_DESCRIBE_STRUCT(inbox, (), (caller, subjects))

/// GET api/summary, for applications with the Overview.Read.All role: no user involved.
struct summary {
  std::string caller; // the application's id
  std::size_t todos = 0;
};
BOOST_DESCRIBE_STRUCT(summary, (), (caller, todos))

} // namespace onbehalf::sample_webapi
