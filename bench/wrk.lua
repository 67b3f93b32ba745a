-- wrk script for the Newsroom benchmark.
--
-- Without arguments every request asks for the URL on wrk's command line.
-- With a file argument (`-- paths.txt`) the threads walk that list of paths,
-- each thread taking every n-th one, so no path repeats until the list is
-- used up (how the "uncached" scenario defeats the page cache).
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
  end
end

function request()
  if paths then
    local path = paths[((index - 1) % #paths) + 1]
    index = index + step
    return wrk.format(nil, path)
  end
  return wrk.format(nil, nil)
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
