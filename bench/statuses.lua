-- Answers counted by status, for the wrk scripts in bench/ (loaded with dofile from the
-- repository's root, where the benchmarks run wrk): count_status() in response(), and
-- print_statuses() in done() writes "statuses: 200=N 503=N", which bench/faults reads.
statuses = {} -- global: done() reads it from each thread

function count_status(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function print_statuses(threads)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local keys = {}
  for status in pairs(counts) do table.insert(keys, status) end
  table.sort(keys)
  local parts = {}
  for _, status in ipairs(keys) do table.insert(parts, status .. "=" .. counts[status]) end
  io.write("statuses: " .. table.concat(parts, " ") .. "\n")
end
