-- One benchmark scenario for wrk: every request picks a random sample (an organization or region
-- read from the running server by scripts/bench), so nothing is served from one hot row.
--   wrk -t2 -c64 -d15s --latency -s benches/wrk/scenario.lua http://127.0.0.1:PORT -- SCENARIO SAMPLES.lua
-- SAMPLES.lua (written by scripts/bench) returns { oids = {…}, inns = {…}, regions = {…}, session = "…" }
-- (the session of a local administrator, sent as a cookie with every request).
-- SCENARIO is one of the keys of `paths` below. At the end done() prints one machine-readable line:
--   RESULT <req/s> <p50 ms> <p99 ms> <requests> <errors: connect+read+write+timeout+non-2xx/3xx>

-- «городская больница», percent-encoded (UTF-8)
local QUERY = "%D0%B3%D0%BE%D1%80%D0%BE%D0%B4%D1%81%D0%BA%D0%B0%D1%8F%20%D0%B1%D0%BE%D0%BB%D1%8C%D0%BD%D0%B8%D1%86%D0%B0"
local FORM_QUERY = QUERY:gsub("%%20", "+")

local function pick(list) return list[math.random(#list)] end

local paths = {
  -- the bare HTTP limit of the server with its middleware: no database
  healthz = function(s) return "/healthz" end,
  -- one trivial database query
  readyz = function(s) return "/readyz" end,
  -- the card as JSON: one primary-key lookup
  card = function(s) return "/api/v1/organizations/" .. pick(s.oids) end,
  -- the same card through the integration API (`/ips`): a system's key, its access, the ИПС model
  -- and the journal of the call
  ips = function(s) return "/ips/" .. s.ips_key .. "/org/" .. pick(s.oids) end,
  -- the card as a FHIR R4 Organization (`/fhir/r4`): the card parsed and shaped
  fhir = function(s) return "/fhir/r4/Organization/" .. pick(s.oids) end,
  -- the full-text search of `fulltext` as a FHIR searchset Bundle of whole Organizations
  fhirname = function(s) return "/fhir/r4/Organization?name=" .. QUERY .. "&address-state=" .. pick(s.regions) end,
  -- exact search by ИНН
  inn = function(s) return "/api/v1/organizations?inn=" .. pick(s.inns) end,
  -- full-text search within a region, JSON
  fulltext = function(s) return "/api/v1/organizations?q=" .. QUERY .. "&region=" .. pick(s.regions) end,
  -- the same search as the HTML page a person sees
  page = function(s) return "/?q=" .. FORM_QUERY .. "&region=" .. pick(s.regions) end,
  -- signed in: the session lookup (and its idle-time touch) alone
  me = function(s) return "/api/v1/me" end,
  -- signed in: session, access decision and an organization's cabinet card with its members
  cabinet = function(s) return "/api/v1/cabinet/organizations/" .. pick(s.oids) end,
  -- the bare baseline (crates/frmo-bare): the same primary-key lookup with nothing around it
  bare_card = function(s) return "/card/" .. pick(s.oids) end,
  -- Helios HFS (scripts/bench --hfs) loaded with the same Organizations: a read by id, and the name
  -- search of `fhirname` in FHIR's own terms (`:contains`, the region by its name as
  -- address.state; SAMPLES' regions are the names, percent-encoded)
  hfs_fhir = function(s) return "/Organization/" .. pick(s.oids) end,
  hfs_fhirname = function(s)
    return "/Organization?name:contains=" .. QUERY .. "&address-state=" .. pick(s.regions) .. "&_count=20"
  end,
}

local path, samples

function init(args)
  local scenario = args[1] or "healthz"
  path = paths[scenario]
  if not path then error("unknown scenario " .. scenario) end
  samples = args[2] and dofile(args[2]) or { oids = {}, inns = {}, regions = {} }
  -- a different random sequence in every thread
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0) % 1000003)
end

function request()
  if samples.session then
    return wrk.format("GET", path(samples), { Cookie = "frmo_session=" .. samples.session })
  end
  return wrk.format("GET", path(samples))
end

-- done() runs in wrk's main Lua state, which never saw init's arguments: the caller names the row.
function done(summary, latency, requests)
  local e = summary.errors
  local rate = summary.requests / (summary.duration / 1e6)
  io.write(string.format("RESULT " .. (rate < 100 and "%.1f" or "%.0f") .. " %.2f %.2f %d %d\n", rate,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout))
end
