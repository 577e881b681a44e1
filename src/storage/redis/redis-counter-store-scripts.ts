/**
 * @module storage/redis/redis-counter-store-scripts
 * The Lua scripts of the Redis CounterStore, one per operation: Redis runs a script alone, so
 * each check-and-add is atomic across every replica that shares the server. The scripts keep the
 * memory store's semantics (memory-counter-store.ts) step for step.
 *
 * A budget counter is three keys: `u:<key>` (the settled amount, a plain integer), `l:<key>` (a
 * sorted set of reservation ids scored by expiry) and `a:<key>` (a hash of reservation id →
 * amount, plus `#reserved`, the sum held by live reservations, and `#lapsed`, the clock up to
 * which expired reservations have been lapsed). A reservation whose score is at or below
 * `#lapsed` has lapsed: it holds nothing but can still be settled until its grace period ends.
 * A rate window is one integer key per fixed bucket, `w:<windowMs>:<start>:<key>`.
 *
 * Numbers: Redis hands Lua doubles, exact for integers below 2^53 (nano-dollar amounts up to
 * ~9e15). Integers go back to Redis as the caller's own strings where possible, and otherwise
 * through `string.format('%d')` — never `tostring`, which rounds to 14 digits — and every number
 * returned to the client is a string, since Redis would truncate a Lua double to an integer.
 */

/** Lapses expired reservations and forgets lapsed ones past their grace period. */
const LAPSE = `
local function int(x) return string.format('%d', x) end

-- Lapses the reservations of the counter that expired at or before now: they stop holding
-- budget but stay settle-able until their grace period is over. Returns the lapse mark, or nil
-- for a counter that holds no reservation state at all (nothing is created for it).
local function lapse(now_s)
  if redis.call('EXISTS', KEYS[3]) == 0 then return nil end
  local now = tonumber(now_s)
  local mark = redis.call('HGET', KEYS[3], '#lapsed')
  local from = '-inf'
  if mark then
    if tonumber(mark) >= now then return tonumber(mark) end
    from = '(' .. mark
  end
  local ids = redis.call('ZRANGEBYSCORE', KEYS[2], from, now_s)
  local total = 0
  for _, id in ipairs(ids) do total = total + tonumber(redis.call('HGET', KEYS[3], id) or '0') end
  if total ~= 0 then redis.call('HINCRBY', KEYS[3], '#reserved', int(-total)) end
  redis.call('HSET', KEYS[3], '#lapsed', now_s)
  return now
end

local function live_count(mark)
  if mark == nil then return redis.call('ZCARD', KEYS[2]) end
  return redis.call('ZCOUNT', KEYS[2], '(' .. int(mark), '+inf')
end
`;

/**
 * KEYS: used, live, amounts. ARGV: now, amount, limit, expiresAt, id, graceMs, keepMs.
 * Returns {1|0, used, reserved} with used and reserved as they were before this reservation.
 */
export const RESERVE_SCRIPT = `${LAPSE}
local now = tonumber(ARGV[1])
local mark = lapse(ARGV[1])
if mark ~= nil then
  -- Forget lapsed reservations past their grace period, a bounded batch at a time.
  local upto = math.min(mark, now - tonumber(ARGV[6]))
  local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', int(upto), 'LIMIT', 0, 256)
  for _, id in ipairs(old) do
    redis.call('ZREM', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
  end
end
local used = redis.call('GET', KEYS[1]) or '0'
local reserved = redis.call('HGET', KEYS[3], '#reserved') or '0'
if tonumber(used) + tonumber(reserved) + tonumber(ARGV[2]) > tonumber(ARGV[3]) then
  return {0, used, reserved}
end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
redis.call('HSET', KEYS[3], ARGV[5], ARGV[2])
if mark == nil or tonumber(ARGV[4]) > mark then
  redis.call('HINCRBY', KEYS[3], '#reserved', ARGV[2])
end
-- The reservation state lives until the last reservation's grace period is over.
local keep = tonumber(ARGV[7])
for i = 2, 3 do
  if redis.call('PTTL', KEYS[i]) < keep then redis.call('PEXPIRE', KEYS[i], ARGV[7]) end
end
return {1, used, reserved}
`;

/**
 * Settle (ARGV[3] an integer) or release (ARGV[3] empty). KEYS: used, live, amounts.
 * ARGV: now, id, actual, graceMs, usedKeepMs (0: never expires).
 * Returns false for an unknown (or forgotten) reservation, else {used, reserved, live count}.
 */
export const SETTLE_SCRIPT = `${LAPSE}
local score = redis.call('ZSCORE', KEYS[2], ARGV[2])
if not score then return false end
local now = tonumber(ARGV[1])
local mark = lapse(ARGV[1])
local amount = tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '0')
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
score = tonumber(score)
if mark ~= nil and score <= mark then
  if score + tonumber(ARGV[4]) <= now then return false end
elseif amount ~= 0 then
  redis.call('HINCRBY', KEYS[3], '#reserved', int(-amount))
end
if ARGV[3] ~= '' and ARGV[3] ~= '0' then
  redis.call('INCRBY', KEYS[1], ARGV[3])
  if ARGV[5] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
end
return {redis.call('GET', KEYS[1]) or '0', redis.call('HGET', KEYS[3], '#reserved') or '0', live_count(mark)}
`;

/** KEYS: used, live, amounts. ARGV: now. Returns {used, reserved, live count}. */
export const GET_SCRIPT = `${LAPSE}
local mark = lapse(ARGV[1])
return {redis.call('GET', KEYS[1]) or '0', redis.call('HGET', KEYS[3], '#reserved') or '0', live_count(mark)}
`;

/**
 * KEYS: previous bucket, current bucket. ARGV: now, bucket start, windowMs, limit, weight, keepMs.
 * Decides with the arithmetic of counter-window.ts `decideHit` (same operations in the same
 * order on the same doubles), adds the weight when allowed, and returns {1|0, previous, current}
 * as they were before the hit so that the client builds the full WindowHit with `decideHit`.
 */
export const HIT_SCRIPT = `
local previous = redis.call('GET', KEYS[1]) or '0'
local current = redis.call('GET', KEYS[2]) or '0'
local now, start, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local weight = tonumber(ARGV[5])
local count = (tonumber(previous) * (window - (now - start))) / window + tonumber(current)
if count + weight <= tonumber(ARGV[4]) then
  if weight ~= 0 then
    redis.call('INCRBY', KEYS[2], ARGV[5])
    redis.call('PEXPIRE', KEYS[2], ARGV[6])
  end
  return {1, previous, current}
end
return {0, previous, current}
`;

/** KEYS: the bucket the hit landed in. ARGV: delta, keepMs. Adds delta, never below zero. */
export const ADJUST_SCRIPT = `
local value = redis.call('GET', KEYS[1])
local after = math.max(0, tonumber(value or '0') + tonumber(ARGV[1]))
if value == false and after == 0 then return 0 end
redis.call('SET', KEYS[1], string.format('%d', after), 'PX', ARGV[2])
return 1
`;

/**
 * KEYS: used, charge marker. ARGV: amount, usedKeepMs, markerKeepMs. Adds the amount once per
 * marker (a charge replayed after a timeout that did reach Redis is not counted twice).
 * Returns the used amount.
 */
export const CHARGE_SCRIPT = `
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) then
  redis.call('INCRBY', KEYS[1], ARGV[1])
  if ARGV[2] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
end
return redis.call('GET', KEYS[1]) or '0'
`;

/** KEYS: used. ARGV: used, usedKeepMs. Raises the used amount to at least ARGV[1]. */
export const SEED_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used < tonumber(ARGV[1]) then
  if ARGV[2] ~= '0' then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  else
    redis.call('SET', KEYS[1], ARGV[1])
  end
end
return redis.call('GET', KEYS[1]) or '0'
`;

/** KEYS: epoch. ARGV: a fresh epoch value. Returns {epoch, 1 when it was missing and is now set}. */
/** Deletes the epoch sentinel if it still holds ARGV[1] (a re-seed after it failed: the loss must stay visible). */
export const FORGET_EPOCH_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export const EPOCH_SCRIPT = `
local epoch = redis.call('GET', KEYS[1])
if epoch then return {epoch, 0} end
redis.call('SET', KEYS[1], ARGV[1])
return {ARGV[1], 1}
`;
