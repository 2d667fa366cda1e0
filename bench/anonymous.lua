-- wrk script for bench/faults: requests from nobody, each one different, of the kinds an attacker
-- sends to make a server keep something: the Challenge route with a made-up user flow, sign-in
-- callbacks with made-up codes and correlation cookies (as a query and as a form post), pages with
-- a made-up session cookie. None of them may leave anything behind in the app.
--   wrk ... -s bench/anonymous.lua URL -- SESSION_COOKIE_NAME
-- done() prints the answers counted by status (bench/statuses.lua).
dofile("bench/statuses.lua")

local session_cookie = ".onbehalf.session"
local n = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  if args[1] then session_cookie = args[1] end
end

function request()
  n = n + 1
  local id = string.format("%d-%d", n, math.random(1, 1000000000))
  local kind = n % 4
  if kind == 0 then
    return wrk.format("GET", "/MicrosoftIdentity/Account/Challenge?userFlow=made_up_" .. id .. "&redirectUri=%2Fprofile")
  elseif kind == 1 then
    return wrk.format("GET", "/signin-oidc?code=made-up-" .. id .. "&state=" .. id,
      { Cookie = ".onbehalf.correlation." .. id .. "=" .. id })
  elseif kind == 2 then
    return wrk.format("POST", "/signin-oidc",
      { ["Content-Type"] = "application/x-www-form-urlencoded", Cookie = ".onbehalf.correlation." .. id .. "=" .. id },
      "code=made-up-" .. id .. "&state=" .. id)
  end
  return wrk.format("GET", "/profile", { Cookie = session_cookie .. "=made-up-" .. id })
end

function response(status, headers, body)
  count_status(status)
end

function done(summary, latency, requests)
  print_statuses(threads)
end
