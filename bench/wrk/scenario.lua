-- wrk script for orgd, shared by all scenarios: the peer's wrk/scenario.lua with orgd's
-- routes (same org-id rotation, same S5 role alternation, same headers).
--   SCENARIO    = S0 | S1 | S2 | S3 | S4 | S5   (S0 = GET /healthz, a reference, not the workload)
--   BENCH_DATA  = directory written by `orgd-bench seed` (hot_token.txt, hot_orgs.txt, s5_targets.txt)
--   STATUS_HOOK = 1 to tally response statuses in a response() hook (costs wrk CPU on every
--                 response, which the peer does not pay; off for measurements, on to debug)
-- Every request carries "Authorization: Bearer <hot user's session token>".
-- Org ids are taken round-robin from the hot user's 100 orgs; thread t starts at index 50*t.
-- done() prints one machine-readable line: ORGD_BENCH {json}.
local scenario = os.getenv("SCENARIO") or "S1"
local data = os.getenv("BENCH_DATA") or "bench-data"

local function lines(path)
  local t = {}
  for l in io.lines(path) do if #l > 0 then t[#t + 1] = l end end
  return t
end

local nthreads = 0
local threads = {}
function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  threads[#threads + 1] = thread
end

local orgs, targets, n, get_hdr, body_hdr
function init(args)
  local token = lines(data .. "/hot_token.txt")[1]
  orgs = lines(data .. "/hot_orgs.txt")
  targets = {}
  for _, l in ipairs(lines(data .. "/s5_targets.txt")) do
    local o, u = l:match("^(%S+)%s+(%S+)$")
    targets[#targets + 1] = { o, u }
  end
  n = (tid or 0) * 50
  get_hdr = { ["Authorization"] = "Bearer " .. token }
  body_hdr = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

function request()
  local i = (n % #orgs) + 1
  local pass = math.floor(n / #orgs)
  n = n + 1
  if scenario == "S0" then -- reference only: liveness route, no auth, no database
    return wrk.format("GET", "/healthz")
  elseif scenario == "S1" then
    return wrk.format("GET", "/api/organizations/" .. orgs[i] .. "?expand=members,invitations", get_hdr)
  elseif scenario == "S2" then
    return wrk.format("GET", "/api/organizations/" .. orgs[i] .. "/members?limit=20", get_hdr)
  elseif scenario == "S3" then
    return wrk.format("POST", "/api/organizations/" .. orgs[i] .. "/permissions/check", body_hdr,
      '{"permissions":["users:update"]}')
  elseif scenario == "S4" then
    return wrk.format("GET", "/api/organizations?limit=100", get_hdr)
  elseif scenario == "S5" then
    local t = targets[i]
    local role = (pass % 2 == 0) and "admin" or "member"
    return wrk.format("PATCH", "/api/organizations/" .. t[1] .. "/members/" .. t[2], body_hdr,
      '{"role":"' .. role .. '"}')
  end
  error("unknown SCENARIO " .. scenario)
end

if os.getenv("STATUS_HOOK") == "1" then
  statuses = {}
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local parts = {}
  if os.getenv("STATUS_HOOK") == "1" then
    local all = {}
    for _, t in ipairs(threads) do
      for s, c in pairs(t:get("statuses") or {}) do all[s] = (all[s] or 0) + c end
    end
    for s, c in pairs(all) do parts[#parts + 1] = string.format('"%d":%d', s, c) end
  end
  io.write(string.format(
    'ORGD_BENCH {"scenario":"%s","requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d},' ..
    '"statuses":{%s}}\n',
    scenario, summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9),
    table.concat(parts, ",")))
end
