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

-- With WRK_RATE set, the thread's connections together send about WRK_RATE /
-- WRK_THREADS deliveries per second: request n is due at start + n / rate,
-- and delay() holds a connection until its request is due (never longer).
-- A fixed per-connection delay would ignore the response time and fall short
-- of the rate. LuaJIT's ffi reads the monotonic clock; Lua's os.time counts
-- whole seconds and os.clock counts CPU time.
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } tidemark_timespec;
  int clock_gettime(int clock_id, tidemark_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local now = ffi.new("tidemark_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now)
  return tonumber(now.tv_sec) * 1000 + tonumber(now.tv_nsec) / 1e6
end

local rate = tonumber(os.getenv("WRK_RATE") or "0") / tonumber(os.getenv("WRK_THREADS") or "1")
local started = nil
local scheduled = 0

function delay()
  if rate <= 0 then
    return 0
  end
  local t = now_ms()
  if started == nil then
    started = t
  end
  scheduled = scheduled + 1
  local due = started + scheduled * 1000 / rate
  if due <= t then
    return 0
  end
  return math.ceil(due - t)
end
