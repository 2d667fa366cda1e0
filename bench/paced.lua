-- wrk script for bench/end-to-end's paced run: the same requests as end-to-end.lua, but each
-- connection pauses PACE_MS milliseconds on average (environment, default 5) before each request,
-- so the load stays below saturation and latency shows the service time rather than queueing.
-- The pause is drawn at random between 0 and twice the average: equal pauses keep the
-- connections in step, and their requests would arrive in bursts of all at once.
dofile("bench/end-to-end.lua")

local pause = tonumber(os.getenv("PACE_MS") or "5")

math.randomseed(os.time())

function delay()
  return math.random(0, 2 * pause)
end
