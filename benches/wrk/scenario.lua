-- One wrk scenario over sampled identifiers: every request picks a random sample.
-- Usage: wrk -t2 -c64 -d15s --latency -s scenario.lua URL -- SCENARIO SAMPLES_FILE
-- SAMPLES_FILE has lines "oid inn region"; SCENARIO is one of the names in `paths` below.

local scenario, samples = "healthz", {}

local paths = {
  healthz = function(s) return "/healthz" end,
  readyz = function(s) return "/readyz" end,
  card = function(s) return "/api/v1/organizations/" .. s[1] end,
  inn = function(s) return "/api/v1/organizations?inn=" .. s[2] end,
  fulltext = function(s)
    return "/api/v1/organizations?q=%D0%B3%D0%BE%D1%80%D0%BE%D0%B4%D1%81%D0%BA%D0%B0%D1%8F%20%D0%B1%D0%BE%D0%BB%D1%8C%D0%BD%D0%B8%D1%86%D0%B0&region=" .. s[3]
  end,
  page = function(s)
    return "/?q=%D0%B3%D0%BE%D1%80%D0%BE%D0%B4%D1%81%D0%BA%D0%B0%D1%8F+%D0%B1%D0%BE%D0%BB%D1%8C%D0%BD%D0%B8%D1%86%D0%B0&region=" .. s[3]
  end,
}

function init(args)
  scenario = args[1] or scenario
  for line in io.lines(args[2]) do
    local oid, inn, region = line:match("^(%S+) (%S+) (%S+)$")
    if oid then samples[#samples + 1] = { oid, inn, region } end
  end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  local s = samples[math.random(#samples)]
  return wrk.format("GET", paths[scenario](s))
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  -- done() runs in its own Lua state (init's arguments are not seen here): the caller names the row.
  io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n", summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, errors))
end
