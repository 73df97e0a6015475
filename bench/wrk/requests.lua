-- Requests for wrk, prepared by the harness: one per line of a file, cycled through by each
-- wrk thread from its own offset. Line: METHOD, PATH, TOKEN (1-based line of the tokens file,
-- 0 for none), FLAGS ("k": send an Idempotency-Key) and BODY, separated by tabs. "{KEY}" in a
-- body becomes a key unique to the run, so every order placed is a new order.
-- Arguments: requests file, tokens file or "-", threads, run nonce, "cycle" or "once",
-- pace in milliseconds, record prefix or "-".

bench = { threads = {}, count = 0 }

function setup(thread)
  thread:set("id", bench.count)
  bench.count = bench.count + 1
  table.insert(bench.threads, thread)
end

local function lines_of(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then
      table.insert(out, line)
    end
  end
  return out
end

function init(args)
  bench.requests = {}
  for _, line in ipairs(lines_of(args[1])) do
    local method, path, token, flags, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    table.insert(bench.requests, {
      method = method, path = path, token = tonumber(token), key = flags:find("k") ~= nil,
      body = body ~= "" and body or nil,
    })
  end
  bench.tokens = args[2] ~= "-" and lines_of(args[2]) or {}
  bench.stride = tonumber(args[3])
  bench.nonce = args[4]
  bench.once = args[5] == "once"
  bench.pace = tonumber(args[6])
  bench.next = id
  bench.sent = 0
  if args[7] ~= "-" then
    bench.out = io.open(args[7] .. "-" .. id .. ".tsv", "w")
  end
end

function bench.exhausted()
  return bench.once and bench.next >= #bench.requests
end

-- The index of the next request to send; paced.lua reserves them ahead instead.
function bench.take()
  local index = bench.next
  bench.next = bench.next + bench.stride
  return index
end

function request()
  local index = bench.take()
  if index == nil then
    -- A connection (re)opened after its thread's last request: a probe, not an order.
    return wrk.format("GET", "/healthz")
  end
  local r = bench.requests[(index % #bench.requests) + 1]
  bench.sent = bench.sent + 1
  local key = bench.nonce .. "-" .. id .. "-" .. bench.sent
  local headers = {}
  if r.token and r.token > 0 then
    headers["Authorization"] = "Bearer " .. bench.tokens[r.token]
  end
  if r.key then
    headers["Idempotency-Key"] = key
  end
  local body = nil
  if r.body then
    body = r.body:gsub("{KEY}", key)
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(r.method, r.path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
