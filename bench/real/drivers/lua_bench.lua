-- A mix of what interpreters spend time on: calls, table reads and writes, string building,
-- closures and sorting. Prints one line of results; no errors are raised.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end

local t = {}
for i = 1, 200000 do t[i] = (i * 7919) % 100003 end
table.sort(t)
local sum = 0
for i = 1, #t, 3 do sum = sum + t[i] end

local parts = {}
for i = 1, 60000 do parts[#parts + 1] = string.format("%d:%x", i, i * 31) end
local s = table.concat(parts, ",")
local count = 0
for w in s:gmatch("%d+:a") do count = count + 1 end
local replaced = select(2, s:gsub("1", "one"))

local function counter()
  local c = 0
  return function(k) c = c + k; return c end
end
local acc = 0
for i = 1, 200 do
  local f = counter()
  for j = 1, 2000 do acc = acc + f(j) % 7 end
end

local map = {}
for i = 1, 100000 do map["k" .. (i % 5003)] = (map["k" .. (i % 5003)] or 0) + i end
local msum = 0
for k, v in pairs(map) do msum = msum + v % 1000 end

print(fib(27), sum, #s, count, replaced, acc, msum)
