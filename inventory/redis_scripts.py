"""Lua scripts of :mod:`inventory.redis_store`. Each runs atomically inside Redis.

Every script gets ``P:marker`` as KEYS[1] and the key prefix, the marker of the build the
caller adopted, the clock and the retention as ARGV[1..4] (time comes from the caller, so
tests can move it). The build check comes FIRST: when the marker is missing the script answers
``{'notready'}``, when another build is in use ``{'moved', marker}``, and changes nothing;
otherwise every key is in the build's namespace ``N = P:<marker>``. Script arguments start at
ARGV[5]. Counts are packed little-endian int32: 12 bytes per slot (on hand, reserved, safety
stock) in ``:qty`` and 4 bytes per slot (available to fulfill) in ``:atf``; SETRANGE past the
end zero-fills, so a slot never written reads as zero. A script that changes the build
answers the build's new write sequence (``INCR N:seq``).
"""

from __future__ import annotations

PRELUDE = r"""
local CURRENT = redis.call('GET', KEYS[1])
if not CURRENT then return {'notready'} end
if CURRENT ~= ARGV[2] then return {'moved', CURRENT} end
local N = ARGV[1] .. ':' .. ARGV[2]
local NOW = tonumber(ARGV[3])
local RETENTION = tonumber(ARGV[4])
local SLOTS = N .. ':slots'
local NSLOTS = N .. ':nslots'
local DUE = N .. ':due'
local SEQ = N .. ':seq'
local INT_MIN = -2147483648

local function res_key(id) return N .. ':res:' .. id end
local function qty_key(sku) return N .. ':{' .. sku .. '}:qty' end
local function atf_key(sku) return N .. ':{' .. sku .. '}:atf' end

local function slot_of(loc)
  local s = redis.call('HGET', SLOTS, loc)
  if s then return tonumber(s) end
  return nil
end

local function read(sku, slot)
  local b = redis.call('GETRANGE', qty_key(sku), slot * 12, slot * 12 + 11)
  if #b < 12 then return 0, 0, 0 end
  local oh, rs, ss = struct.unpack('<i4i4i4', b)
  return oh, rs, ss
end

local function write(sku, slot, oh, rs, ss)
  redis.call('SETRANGE', qty_key(sku), slot * 12, struct.pack('<i4i4i4', oh, rs, ss))
  local atf = math.max(INT_MIN, oh - rs - ss)
  redis.call('SETRANGE', atf_key(sku), slot * 4, struct.pack('<i4', atf))
end

-- reserved += d_rs, on hand += d_oh (floored at 0: a shipment consumes what was really there);
-- answers the cell's on hand and safety stock after the shift (nil for an unknown location)
local function shift(loc, sku, d_rs, d_oh)
  local slot = slot_of(loc)
  if not slot then return nil end
  local oh, rs, ss = read(sku, slot)
  oh = math.max(0, oh + d_oh)
  write(sku, slot, oh, math.max(0, rs + d_rs), ss)
  return {loc, sku, oh, ss}
end

local function encode(lines)
  if #lines == 0 then return '[]' end
  return cjson.encode(lines)
end

-- add quantities of `lines` ({{loc, sku, q}, ...}) into `into` (same shape), times `sign`
local function merge(into, lines, sign)
  local pos = {}
  for i, l in ipairs(into) do pos[l[1] .. '\0' .. l[2]] = i end
  for _, l in ipairs(lines) do
    local i = pos[l[1] .. '\0' .. l[2]]
    if i then into[i][3] = into[i][3] + sign * l[3]
    else table.insert(into, {l[1], l[2], sign * l[3]}); pos[l[1] .. '\0' .. l[2]] = #into end
  end
  local kept = {}
  for _, l in ipairs(into) do if l[3] ~= 0 then table.insert(kept, l) end end
  return kept
end

local function record(key)
  return redis.call('HMGET', key, 'st', 'exp', 'held', 'ful', 'rel', 'req')
end

local function close(key, id, status)
  redis.call('HSET', key, 'st', status)
  redis.call('ZREM', DUE, id)
  redis.call('EXPIRE', key, RETENTION)
end

-- move `lines` out of the held lines of reservation `id` into field `into` ('rel' or 'ful')
local function move(key, id, lines, into)
  local held = merge(cjson.decode(redis.call('HGET', key, 'held')), lines, -1)
  local dest = merge(cjson.decode(redis.call('HGET', key, into)), lines, 1)
  redis.call('HSET', key, 'held', encode(held), into, encode(dest))
  if #held == 0 then
    local ful = cjson.decode(redis.call('HGET', key, 'ful'))
    if #ful > 0 then close(key, id, 'fulfilled') else close(key, id, 'released') end
  end
end

local function expire_one(id)
  local key = res_key(id)
  if redis.call('HGET', key, 'st') ~= 'active' then
    redis.call('ZREM', DUE, id)
    return 0
  end
  local held = cjson.decode(redis.call('HGET', key, 'held'))
  for _, l in ipairs(held) do shift(l[1], l[2], -l[3], 0) end
  move(key, id, held, 'rel')
  close(key, id, 'expired')
  return 1
end

local function sweep(limit)
  local ids = redis.call('ZRANGEBYSCORE', DUE, '-inf', NOW, 'LIMIT', 0, limit)
  local n = 0
  for _, id in ipairs(ids) do n = n + expire_one(id) end
  return #ids, n
end

local function settle(key, id)
  local st, exp = unpack(redis.call('HMGET', key, 'st', 'exp'))
  if st == 'active' and tonumber(exp) <= NOW then expire_one(id) end
end
"""

_RESERVE_ONE = r"""
local function reserve_one(id, expires_at, request)
  local key = res_key(id)
  local existing = redis.call('HGET', key, 'req')
  if existing then
    if existing == request then return {'ok', record(key)} end
    return {'conflict'}
  end
  -- the request's lines are canonical (one per location and SKU), so the figures read for
  -- the check are still current when the units are taken: no second read per line
  local lines, short, seen = cjson.decode(request), {}, {}
  for i, l in ipairs(lines) do
    local slot, oh, rs, ss = slot_of(l[1]), 0, 0, 0
    if slot then oh, rs, ss = read(l[2], slot) end
    if oh - rs - ss < l[3] then table.insert(short, {l[1], l[2], l[3], oh - rs - ss}) end
    seen[i] = {slot, oh, rs, ss}
  end
  if #short > 0 then return {'short', cjson.encode(short)} end
  for i, l in ipairs(lines) do
    local c = seen[i]
    write(l[2], c[1], c[2], c[3] + l[3], c[4])
  end
  redis.call('HSET', key, 'req', request, 'st', 'active', 'exp', expires_at,
             'held', request, 'ful', '[]', 'rel', '[]')
  redis.call('ZADD', DUE, expires_at, id)
  return {'new', redis.call('INCR', SEQ)}
end
"""

# ARGV[5..]: id, expires_at, request (the canonical lines as JSON [[location, sku, quantity],
# ...]), sweep limit. A new reservation answers {'new', seq}: the caller already knows its
# lines and expiry. A retry answers {'ok', record}; sweeps are not reported (the record
# treats an active reservation past its expiry as expired).
RESERVE = (
    PRELUDE
    + _RESERVE_ONE
    + r"""
sweep(tonumber(ARGV[8]))
return reserve_one(ARGV[5], ARGV[6], ARGV[7])
"""
)

# ARGV[5..]: sweep limit, then id, expires_at, request per reservation. Each reservation is
# all-or-nothing on its own (as in RESERVE); answers {'many', {answer of RESERVE}, ...}.
RESERVE_MANY = (
    PRELUDE
    + _RESERVE_ONE
    + r"""
sweep(tonumber(ARGV[5]))
local answers = {}
for i = 6, #ARGV, 3 do
  table.insert(answers, reserve_one(ARGV[i], ARGV[i + 1], ARGV[i + 2]))
end
return {'many', answers}
"""
)

# ARGV[5..]: id, action ('release' | 'fulfill'), then location, sku, quantity per line (none
# = everything held). Answers {'ok', seq (0 when nothing changed), record, cells}: cells are
# {location, sku, on hand, safety stock} after a fulfilment, for the durable record.
CLOSE = (
    PRELUDE
    + r"""
local id, action = ARGV[5], ARGV[6]
local key = res_key(id)
if redis.call('EXISTS', key) == 0 then return {'unknown'} end
settle(key, id)
local st = redis.call('HGET', key, 'st')
local held = cjson.decode(redis.call('HGET', key, 'held'))
local lines = {}
if #ARGV < 7 then
  if st ~= 'active' then
    if action == 'release' or st == 'fulfilled' then return {'ok', 0, record(key), {}} end
    return {'invalid', 'reservation ' .. id .. ' is ' .. st .. ': nothing held to fulfill'}
  end
  lines = held
else
  local have = {}
  for _, l in ipairs(held) do have[l[1] .. '\0' .. l[2]] = l[3] end
  for i = 7, #ARGV, 3 do
    local loc, sku, q = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
    local h = have[loc .. '\0' .. sku] or 0
    if q > h then
      return {'invalid', 'reservation ' .. id .. ': cannot ' .. action .. ' ' .. q .. ' of '
              .. sku .. ' at ' .. loc .. ': it holds ' .. h}
    end
    table.insert(lines, {loc, sku, q})
  end
end
local cells = {}
for _, l in ipairs(lines) do
  if action == 'release' then shift(l[1], l[2], -l[3], 0)
  else
    local cell = shift(l[1], l[2], -l[3], -l[3])
    if cell then table.insert(cells, cell) end
  end
end
if action == 'release' then move(key, id, lines, 'rel') else move(key, id, lines, 'ful') end
return {'ok', redis.call('INCR', SEQ), record(key), cells}
"""
)

# ARGV[5..]: id.
GET = (
    PRELUDE
    + r"""
local key = res_key(ARGV[5])
if redis.call('EXISTS', key) == 0 then return {'unknown'} end
settle(key, ARGV[5])
return {'ok', record(key)}
"""
)

# ARGV[5..]: limit. Answers {'ok', looked at, expired}.
EXPIRE = (
    PRELUDE
    + r"""
local looked, expired = sweep(tonumber(ARGV[5]))
return {'ok', looked, expired}
"""
)

# ARGV[5..]: 5 per row: kind ('set' | 'adjust'), location, sku, then for 'set' on hand and
# safety stock ('' keeps the current figure), for 'adjust' the units to add and ''. Rows apply
# in order to a copy first, so a refused row changes nothing: {'refused', row (0-based), on hand
# it would make, on hand before}. Otherwise answers {'ok', seq, figures}: on hand, reserved,
# safety stock of each distinct (location, sku) after the write, in the order first named.
# New locations get the next slot; reserved is never written here. A vector that grew is copied
# once at the end: SETRANGE growth over-allocates (up to 2x), SET allocates the exact length.
WRITE_STOCK = (
    PRELUDE
    + r"""
local MAX = 2147483647
local cells, order = {}, {}
local row = 0
for i = 5, #ARGV, 5 do
  local kind, loc, sku, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local k = loc .. '\0' .. sku
  local c = cells[k]
  if not c then
    local slot, oh, rs, ss = slot_of(loc), 0, 0, 0
    if slot then oh, rs, ss = read(sku, slot) end
    c = {loc, sku, oh, rs, ss, slot}
    cells[k] = c
    table.insert(order, c)
  end
  if kind == 'set' then
    if a ~= '' then c[3] = tonumber(a) end
    if b ~= '' then c[5] = tonumber(b) end
  else
    local after = c[3] + tonumber(a)
    if after < 0 or after > MAX then return {'refused', row, after, c[3]} end
    c[3] = after
  end
  row = row + 1
end
local length, figures = {}, {}
for _, c in ipairs(order) do
  local sku, slot = c[2], c[6] or slot_of(c[1])  -- a location new in this call has no slot yet
  if not slot then
    slot = redis.call('HLEN', SLOTS)
    redis.call('HSET', SLOTS, c[1], slot)
    redis.call('SET', NSLOTS, slot + 1)
  end
  if not length[sku] then length[sku] = redis.call('STRLEN', qty_key(sku)) end
  write(sku, slot, c[3], c[4], c[5])
  table.insert(figures, c[3]); table.insert(figures, c[4]); table.insert(figures, c[5])
end
for sku, before in pairs(length) do
  if redis.call('STRLEN', qty_key(sku)) ~= before then
    redis.call('SET', qty_key(sku), redis.call('GET', qty_key(sku)))
    redis.call('SET', atf_key(sku), redis.call('GET', atf_key(sku)))
  end
end
return {'ok', redis.call('INCR', SEQ), figures}
"""
)

# KEYS: P:marker, P:stale. ARGV: marker. Drops the marker only while it is the build in use,
# and remembers the namespace so the next build deletes it.
INVALIDATE = r"""
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""
