// Everything a web app or web API built on onbehalf needs, under the names the docs use:
// the host (sign-in, bearer tokens, routes), downstream APIs called for the user or as the app,
// and the results and challenges those calls give back.
#pragma once

#include "onbehalf/actors/call_failure.hpp"
#include "onbehalf/actors/downstream_api.hpp"
#include "onbehalf/actors/graph.hpp"
#include "onbehalf/actors/host.hpp"
#include "onbehalf/actors/token_acquirer_factory.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/task.hpp"
#include "onbehalf/http/message.hpp"
#include "onbehalf/http/router.hpp"

#include <boost/describe/class.hpp>

namespace onbehalf {

using actors::downstream_api;
using actors::downstream_call_options;
using actors::host;
using actors::or_throw;
using actors::token_acquirer_factory;
using actors::value_or;

} // namespace onbehalf
