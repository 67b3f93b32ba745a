-- wrk script for the Newsroom benchmark.
--
-- Without arguments every request asks for the URL on wrk's command line.
-- With a file argument (`-- paths.txt`) the threads walk that list of paths,
-- each thread taking every n-th one, so no path repeats (how the "uncached"
-- scenarios defeat the page cache). A thread whose share of the list is used
-- up asks nothing more, and stops once its last answer is in: a list shorter
-- than the run is walked once, never again (the second time round it was
-- all cache hits). wrk still reports the whole run's duration, so the driver
-- takes req/s from the latency then (`bench/run.py` `load_without_repeats`).
-- done() prints one JSON line the Python driver parses.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  paths = nil
  if args[1] then
    paths = {}
    for line in io.lines(args[1]) do
      if line ~= "" then table.insert(paths, line) end
    end
    step = tonumber(args[2] or "1")
    index = id + 1
    -- This thread's share: every step-th path from its own first one.
    share = math.max(0, math.floor((#paths - index) / step) + 1)
    answered = 0
    response = count_answer -- only here: wrk reads answers for a script that asks
    -- Before the run wrk asks the first thread's script for one request, to
    -- check it, and never sends it (wrk.c, script_verify_request).
    checked = id ~= 0
  end
end

function request()
  if paths then
    if not checked then
      checked = true
      return wrk.format(nil, paths[index]) -- the check: the path stays to be sent
    end
    if index > #paths then
      return "" -- used up: this connection sends nothing more
    end
    local path = paths[index]
    index = index + step
    return wrk.format(nil, path)
  end
  return wrk.format(nil, nil)
end

function count_answer(status, headers, body)
  answered = answered + 1
  if answered >= share then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
