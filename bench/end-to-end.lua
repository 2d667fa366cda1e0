-- wrk script for bench/end-to-end: each request carries the next signed-in user's cookies, so the
-- load spreads over all users' sessions and cached tokens; any answer but 200 is counted, and the
-- run fails if there was one (a redirect to sign-in would otherwise pass as a fast success).
--   wrk ... -s bench/end-to-end.lua URL -- COOKIE_FILE
--   wrk ... -s bench/end-to-end.lua URL -- TOKEN_FILE bearer        each request the next token
--   wrk ... -s bench/end-to-end.lua URL -- TOKEN_FILE bearer-once   the same, and done() says how
--                                        many requests went past the file's end (a token again)
-- Without a file the requests go out as wrk builds them (headers from -H).
-- done() also prints how many answers had each status (bench/statuses.lua).
dofile("bench/statuses.lua")

local requests = {}
local next_request = 0
unexpected = 0 -- global: done() reads it from each thread
sent = 0
loaded = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local bearer = args[2] == "bearer" or args[2] == "bearer-once"
  if args[1] then
    for line in io.lines(args[1]) do
      if line ~= "" then
        local headers = bearer and { Authorization = "Bearer " .. line } or { Cookie = line }
        table.insert(requests, wrk.format(nil, nil, headers))
      end
    end
  end
  loaded = #requests
  if #requests == 0 then requests[1] = wrk.format() end
end

function request()
  sent = sent + 1
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function response(status, headers, body)
  count_status(status)
  if status ~= 200 then
    unexpected = unexpected + 1
    if unexpected == 1 then io.stderr:write("first unexpected answer: " .. status .. "\n") end
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("unexpected") end
  io.write(string.format("unexpected answers: %d\n", total))
  local again = 0
  for _, thread in ipairs(threads) do again = again + math.max(0, thread:get("sent") - thread:get("loaded")) end
  io.write(string.format("sent again: %d\n", again))
  print_statuses(threads)
end
