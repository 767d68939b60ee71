"""Lua scripts of :mod:`inventory.redis_store`. Each runs atomically inside Redis.

Every script gets the key prefix as ARGV[1] and the clock as ARGV[2] (time comes from the
caller, so tests can move it). Counts are packed little-endian int32: 12 bytes per slot
(on hand, reserved, safety stock) in ``:qty`` and 4 bytes per slot (available to fulfill)
in ``:atf``; SETRANGE past the end zero-fills, so a slot never written reads as zero.
"""

from __future__ import annotations

PRELUDE = r"""
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local RETENTION = tonumber(ARGV[3])
local SLOTS = P .. ':slots'
local NSLOTS = P .. ':nslots'
local DUE = P .. ':due'
local INT_MIN = -2147483648

local function res_key(id) return P .. ':res:' .. id end
local function qty_key(sku) return P .. ':{' .. sku .. '}:qty' end
local function atf_key(sku) return P .. ':{' .. sku .. '}:atf' end

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

-- reserved += d_rs, on hand += d_oh (floored at 0: a shipment consumes what was really there)
local function shift(loc, sku, d_rs, d_oh)
  local slot = slot_of(loc)
  if not slot then return end
  local oh, rs, ss = read(sku, slot)
  write(sku, slot, math.max(0, oh + d_oh), math.max(0, rs + d_rs), ss)
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
  return redis.call('HMGET', key, 'st', 'exp', 'held', 'ful', 'rel')
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

# KEYS: slots, due, reservation. ARGV: prefix, now, retention, id, expires_at, request (the
# canonical lines as JSON [[location, sku, quantity], ...]), sweep limit. A new reservation
# answers {'new'}: the caller already knows its lines and expiry, so nothing is sent back.
RESERVE = (
    PRELUDE
    + r"""
local id, key, request = ARGV[4], KEYS[3], ARGV[6]
sweep(tonumber(ARGV[7]))
local existing = redis.call('HGET', key, 'req')
if existing then
  if existing == request then return {'ok', record(key)} end
  return {'conflict'}
end
local lines, short = cjson.decode(request), {}
for _, l in ipairs(lines) do
  local slot, usable = slot_of(l[1]), 0
  if slot then
    local oh, rs, ss = read(l[2], slot)
    usable = oh - rs - ss
  end
  if usable < l[3] then table.insert(short, {l[1], l[2], l[3], usable}) end
end
if #short > 0 then return {'short', cjson.encode(short)} end
for _, l in ipairs(lines) do shift(l[1], l[2], l[3], 0) end
redis.call('HSET', key, 'req', request, 'st', 'active', 'exp', ARGV[5],
           'held', request, 'ful', '[]', 'rel', '[]')
redis.call('ZADD', DUE, ARGV[5], id)
return {'new'}
"""
)

# KEYS: slots, due, reservation. ARGV: prefix, now, retention, id, action ('release' |
# 'fulfill'), then location, sku, quantity per line (none = everything held).
CLOSE = (
    PRELUDE
    + r"""
local id, key, action = ARGV[4], KEYS[3], ARGV[5]
if redis.call('EXISTS', key) == 0 then return {'unknown'} end
settle(key, id)
local st = redis.call('HGET', key, 'st')
local held = cjson.decode(redis.call('HGET', key, 'held'))
local lines = {}
if #ARGV < 6 then
  if st ~= 'active' then
    if action == 'release' or st == 'fulfilled' then return {'ok', record(key)} end
    return {'invalid', 'reservation ' .. id .. ' is ' .. st .. ': nothing held to fulfill'}
  end
  lines = held
else
  local have = {}
  for _, l in ipairs(held) do have[l[1] .. '\0' .. l[2]] = l[3] end
  for i = 6, #ARGV, 3 do
    local loc, sku, q = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
    local h = have[loc .. '\0' .. sku] or 0
    if q > h then
      return {'invalid', 'reservation ' .. id .. ': cannot ' .. action .. ' ' .. q .. ' of '
              .. sku .. ' at ' .. loc .. ': it holds ' .. h}
    end
    table.insert(lines, {loc, sku, q})
  end
end
for _, l in ipairs(lines) do
  if action == 'release' then shift(l[1], l[2], -l[3], 0) else shift(l[1], l[2], -l[3], -l[3]) end
end
if action == 'release' then move(key, id, lines, 'rel') else move(key, id, lines, 'ful') end
return {'ok', record(key)}
"""
)

# KEYS: slots, due, reservation. ARGV: prefix, now, retention, id.
GET = (
    PRELUDE
    + r"""
if redis.call('EXISTS', KEYS[3]) == 0 then return {'unknown'} end
settle(KEYS[3], ARGV[4])
return {'ok', record(KEYS[3])}
"""
)

# KEYS: slots, due. ARGV: prefix, now, retention, limit. Returns {looked at, expired}.
EXPIRE = (
    PRELUDE
    + r"""
local looked, expired = sweep(tonumber(ARGV[4]))
return {looked, expired}
"""
)

# KEYS: slots, nslots. ARGV: prefix, now, retention, then location, sku, on hand, safety stock
# per record. New locations get the next slot; reserved is kept. A vector that grew is copied
# once at the end: SETRANGE growth over-allocates (up to 2x), SET allocates the exact length.
UPSERT = (
    PRELUDE
    + r"""
local n, length = 0, {}
for i = 4, #ARGV, 4 do
  local loc, sku = ARGV[i], ARGV[i + 1]
  local slot = slot_of(loc)
  if not slot then
    slot = redis.call('HLEN', SLOTS)
    redis.call('HSET', SLOTS, loc, slot)
    redis.call('SET', NSLOTS, slot + 1)
  end
  if not length[sku] then length[sku] = redis.call('STRLEN', qty_key(sku)) end
  local _, rs = read(sku, slot)
  write(sku, slot, tonumber(ARGV[i + 2]), rs, tonumber(ARGV[i + 3]))
  n = n + 1
end
for sku, before in pairs(length) do
  if redis.call('STRLEN', qty_key(sku)) ~= before then
    redis.call('SET', qty_key(sku), redis.call('GET', qty_key(sku)))
    redis.call('SET', atf_key(sku), redis.call('GET', atf_key(sku)))
  end
end
return n
"""
)
