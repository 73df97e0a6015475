-- The requests of requests.lua, each sent once at a steady pace, with every answer recorded:
-- for a 2xx, the Idempotency-Key echoed as buyer_reference and the order ids (CMD-n); for
-- anything else, "!" and the status. The harness checks these against the database.

dofile(os.getenv("BENCH_WRK_DIR") .. "/requests.lua")

-- Each connection asks delay() before every request; the request it will send is reserved
-- then, so connections waiting at the same time never send the last request twice.
local reserved = {}
local plain_take = bench.take

function delay()
  bench.delayed = true
  if bench.exhausted() then
    -- Nothing left for this thread: stay quiet until wrk's duration ends.
    return 3600000
  end
  table.insert(reserved, plain_take())
  return bench.pace
end

function bench.take()
  if #reserved > 0 then
    return table.remove(reserved, 1)
  end
  if not bench.delayed then
    -- wrk builds one request in its first thread to check the script before any delay();
    -- that one is never sent, so it must not use up an order.
    return bench.next
  end
  -- Only reached if a connection sends without a delay() first: nothing left to reserve.
  return nil
end

function response(status, headers, body)
  if not bench.out then
    return
  end
  if status >= 200 and status < 300 then
    local key = body:match('"buyer_reference":"([^"]*)"')
    if not key then
      return
    end
    local ids = {}
    for n in body:gmatch('"reference":"CMD%-(%d+)"') do
      table.insert(ids, tonumber(n))
    end
    bench.out:write(key, "\t", table.concat(ids, ","), "\n")
  else
    bench.out:write("!\t", status, "\n")
  end
  bench.out:flush()
end
