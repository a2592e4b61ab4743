-- wrk script: POSTs pre-signed, distinct deliveries read from $DELIVERIES
-- (lines "signature<TAB>body", written by WebhookLoad.java's write mode).
-- Each of $WRK_THREADS threads takes every n-th line, so no two threads send
-- the same delivery.
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local requests = {}
local next_request = 0

function init(args)
  local n = tonumber(os.getenv("WRK_THREADS") or "1")
  local i = 0
  for line in io.lines(os.getenv("DELIVERIES")) do
    if i % n == id then
      local tab = line:find("\t", 1, true)
      requests[#requests + 1] = wrk.format("POST", nil,
        { ["Content-Type"] = "application/json", ["X-Signature"] = line:sub(1, tab - 1) },
        line:sub(tab + 1))
    end
    i = i + 1
  end
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

-- With WRK_DELAY_MS set, each connection waits that long before each request:
-- C connections then offer about C * 1000 / WRK_DELAY_MS deliveries/s, which
-- paces the load to a target rate instead of the most the server takes.
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")

function delay()
  return pause
end
