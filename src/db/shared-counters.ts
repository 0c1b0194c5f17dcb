// Counters that every app instance shares: rate limits kept in PostgreSQL (the table
// rate_limit), through rate-limiter-flexible's PostgreSQL store, so that three instances
// behind a balancer give an attacker the attempts of one, not three.
import { RateLimiterPostgres, type RateLimiterAbstract } from "rate-limiter-flexible";
import type pg from "pg";
import type { DbOrTx } from "./prisma.js";

/**
 * A counter of `points` per `windowSeconds` under its own key prefix. The expired rows are
 * deleted by the hourly purge job (deleteExpiredCounters), not by a timer in each process.
 */
export function sharedCounter(pool: pg.Pool, keyPrefix: string, points: number, windowSeconds: number): RateLimiterAbstract {
  return new RateLimiterPostgres({
    storeClient: pool,
    storeType: "pool",
    tableName: "rate_limit",
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix,
    points,
    duration: windowSeconds,
  });
}

/** Deletes counters whose window ended over an hour ago; returns how many. */
export async function deleteExpiredCounters(db: DbOrTx, nowMs = Date.now()): Promise<number> {
  return db.$executeRaw`DELETE FROM rate_limit WHERE expire < ${BigInt(nowMs - 3_600_000)}`;
}

/**
 * Gives `points` back to `counter`'s current window for `key`, and to nothing else: once
 * the window has ended, the library's reward() would open the next one below zero, a free
 * share. (Windows are kept by each instance's clock, as the library keeps them.)
 */
export async function giveBack(pool: pg.Pool, counter: RateLimiterAbstract, key: string, points: number): Promise<void> {
  await pool.query({
    name: "rate-limit-give-back",
    text: "UPDATE rate_limit SET points = points - $2 WHERE key = $1 AND expire > $3",
    values: [counter.getKey(key), points, Date.now()],
  });
}
