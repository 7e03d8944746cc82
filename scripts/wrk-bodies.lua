-- Posts pre-signed transactions, one per request, each body used once.
local bodies = {}
for line in io.lines("bodies.jsonl") do bodies[#bodies + 1] = line end
local counter = 0
local threads = {}
function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = offset
end
request = function()
  counter = counter + 2
  local body = bodies[(counter % #bodies) + 1]
  return wrk.format("POST", "/v1/transactions", {["Content-Type"] = "application/json"}, body)
end
