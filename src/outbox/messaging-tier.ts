/**
 * WhatsApp's messaging limit tier (issue 17, item 5): how many different people a number may
 * reach with business-initiated messages (templates) in a rolling 24 hours. Counted in Redis, so
 * every worker process counts against the same limit: a sorted set of the recipients with the
 * time each was last reached, checked and added to in one Lua script. A person reached within
 * the last 24 hours costs nothing more; a new one waits while the limit is used up, until the
 * oldest entry leaves the window. While the limit holds sending back, `<prefix>:whatsapp:tier-wait`
 * says so (for the broadcast progress page: tierWait).
 */
import type { Redis } from "ioredis";

export const tierWindowMs = 24 * 3_600_000;

const setKey = (prefix: string) => `${prefix}:whatsapp:tier`;
const waitKey = (prefix: string) => `${prefix}:whatsapp:tier-wait`;

/**
 * KEYS[1]: the recipients (member: chat id, score: ms last reached, Redis's clock); KEYS[2]: the
 * wait note. ARGV: recipient, limit, window ms. Returns {1} when the recipient may be messaged
 * (and is counted now), or {0, ms until the oldest entry leaves, reached}.
 */
const countScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local reached = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or reached < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], window)
  if reached + 1 < tonumber(ARGV[2]) then redis.call('DEL', KEYS[2]) end
  return {1}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local waitMs = math.max(1, tonumber(oldest[2]) + window - now)
local untilMs = now + waitMs
redis.call('SET', KEYS[2], cjson.encode({reached = reached, limit = tonumber(ARGV[2]), ['until'] = untilMs}), 'PX', waitMs)
return {0, waitMs, reached}
`;

/**
 * Counts a template send to `recipient` against the daily limit. `{ ok: true }`: send it (the
 * recipient is counted); else wait `waitMs` (the limit is reached; nothing was counted).
 */
export async function countTierRecipient(
  redis: Redis,
  prefix: string,
  recipient: string,
  limit: number,
): Promise<{ ok: true } | { ok: false; waitMs: number; reached: number }> {
  const [ok, waitMs, reached] = (await redis.eval(
    countScript,
    2,
    setKey(prefix),
    waitKey(prefix),
    recipient,
    limit,
    tierWindowMs,
  )) as number[];
  return ok === 1 ? { ok: true } : { ok: false, waitMs: waitMs!, reached: reached! };
}

/** Whether sending waits for WhatsApp's daily limit, and until when; null when it does not. */
export async function tierWait(
  redis: Redis,
  prefix: string,
): Promise<{ reached: number; limit: number; until: Date } | null> {
  const raw = await redis.get(waitKey(prefix));
  if (!raw) return null;
  try {
    const note = JSON.parse(raw) as { reached: number; limit: number; until: number };
    return { reached: note.reached, limit: note.limit, until: new Date(note.until) };
  } catch {
    return null;
  }
}
