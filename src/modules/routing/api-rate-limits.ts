// Per-token limits of the routing API: lookups per second, in a one-second window; a batch
// counts each of its numbers (one larger than the limit never passes: split it). Checked
// before the database is asked for the numbers: the limit of a token is learnt from its
// row on each answered request, and until then (a new process) the default applies.
// Unknown tokens are limited per client address instead (each costs a query, and a new
// random token would otherwise always find a fresh counter).
//
// The counters are shared by every instance, in PostgreSQL (db/shared-counters.ts), so a
// token gets its limit across all of them, not on each. A write per lookup would double
// the database's work at thousands of lookups a second, so an instance takes a token's
// second in shares: it adds a twentieth of the limit at a time to the shared counter and
// spends it locally. The shared counter never passes the limit for lookups that are let
// through; what an instance took and did not spend by the end of the second is lost, so
// near its limit a token gets slightly less (at most a twentieth per instance), never more.
// Each instance keeps the windows by its own clock (as the library does): instances whose
// clocks disagree by a large part of a second would shorten the windows, so keep them in
// step (NTP), as any shared deployment does.
import type pg from "pg";
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { maxApiRateLimit } from "../../config.js";
import { giveBack, sharedCounter } from "../../db/shared-counters.js";

/** Unknown or revoked tokens one client address may send in a minute before a 429. */
export const unknownTokensPerMinute = 60;

/** An instance takes this part of a token's limit from the shared counter at a time. */
const sharesPerSecond = 20;

/** What this instance took of a token's current second, and spent of it. */
interface Share {
  /** No later than the shared counter's window: the local share never outlives it. */
  windowEndsAt: number;
  taken: number;
  spent: number;
  /** The second is over the limit: refused here until it ends, without asking again. */
  refused: boolean;
}

/** Addresses remembered as cooling down before expired ones are swept. */
const maxCoolingAddresses = 10_000;

function secondsToWait(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

/** consume() rejects with the counter's state once it is over its points: both are an answer. */
async function add(counter: RateLimiterAbstract, key: string, points: number): Promise<RateLimiterRes> {
  try {
    return await counter.consume(key, points);
  } catch (error) {
    if (error instanceof RateLimiterRes) return error;
    throw error;
  }
}

export class ApiRateLimits {
  // One counter per token for every limit: a token's limit is compared with what it spent,
  // so learning the limit mid-second keeps what was spent before.
  private readonly perToken: RateLimiterAbstract;
  private readonly unknown: RateLimiterAbstract;
  private readonly shares = new Map<string, Share>();
  private readonly limitOfToken = new Map<string, number>();
  /** Tokens whose share this instance is asking the shared counter for, settled when it answers. */
  private readonly asking = new Map<string, Promise<void>>();
  /** Addresses known (from the shared counter) to be over the unknown-token limit, until when. */
  private readonly coolingUntil = new Map<string, number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly defaultLimit: number,
  ) {
    this.perToken = sharedCounter(pool, "api-token", maxApiRateLimit * 2, 1);
    this.unknown = sharedCounter(pool, "api-unknown-token", unknownTokensPerMinute, 60);
  }

  /** Spends `lookups` of the token's second: undefined when allowed, else the seconds to wait. */
  async take(tokenHash: string, lookups: number): Promise<number | undefined> {
    // One question to the shared counter per token at a time: lookups arriving meanwhile
    // wait for its share rather than each taking one of their own.
    for (let asking = this.asking.get(tokenHash); asking; asking = this.asking.get(tokenHash)) await asking;
    const limit = this.limitOfToken.get(tokenHash) ?? this.defaultLimit;
    const asked = Date.now();
    let share = this.shares.get(tokenHash);
    if (share && share.windowEndsAt <= asked) share = undefined;
    if (share?.refused) return secondsToWait(share.windowEndsAt - asked);
    const left = share ? share.taken - share.spent : 0;
    if (share && lookups <= left) {
      share.spent += lookups;
      return undefined;
    }
    const asking = this.takeShare(tokenHash, lookups, limit, asked, share, left);
    const settled = asking.then(
      () => undefined,
      () => undefined,
    );
    this.asking.set(tokenHash, settled);
    try {
      return await asking;
    } finally {
      if (this.asking.get(tokenHash) === settled) this.asking.delete(tokenHash);
    }
  }

  /** Not enough left of this instance's share: take what is missing and a share more. */
  private async takeShare(tokenHash: string, lookups: number, limit: number, asked: number, share: Share | undefined, left: number): Promise<number | undefined> {
    const extra = Math.ceil(limit / sharesPerSecond);
    const points = lookups - left + extra;
    const total = await add(this.perToken, tokenHash, points);
    const current = share && !total.isFirstInDuration ? share : { windowEndsAt: asked + total.msBeforeNext, taken: 0, spent: 0, refused: false };
    // What the counter holds beyond the limit is not ours to spend: the part of the extra
    // share that does not fit goes back for other instances (to this second only).
    const over = Math.max(0, total.consumedPoints - limit);
    const unfit = Math.min(over, extra);
    if (unfit > 0) await giveBack(this.pool, this.perToken, tokenHash, unfit);
    current.taken += points - unfit;
    if (over > extra) {
      // Even the lookups asked for do not fit: refused, and what they took stays counted,
      // as every attempt within the second does.
      current.refused = true;
      current.spent = current.taken;
    } else {
      current.spent += lookups;
    }
    this.shares.set(tokenHash, current);
    return current.refused ? secondsToWait(total.msBeforeNext) : undefined;
  }

  /** Whether `address` may try another token after `unknownTokensPerMinute` unknown ones; undefined: yes, else seconds to wait. */
  unknownTokensAllowed(address: string): number | undefined {
    const until = this.coolingUntil.get(address);
    if (until === undefined) return undefined;
    const ms = until - Date.now();
    if (ms > 0) return secondsToWait(ms);
    this.coolingUntil.delete(address);
    return undefined;
  }

  /** Counts an unknown (or revoked) token sent from `address`, on every instance's counter. */
  async unknownTokenFrom(address: string): Promise<void> {
    const res = await add(this.unknown, address, 1);
    if (res.consumedPoints < unknownTokensPerMinute) return;
    if (this.coolingUntil.size >= maxCoolingAddresses) {
      const now = Date.now();
      for (const [cooling, until] of this.coolingUntil) if (until <= now) this.coolingUntil.delete(cooling);
    }
    this.coolingUntil.set(address, Date.now() + res.msBeforeNext);
  }

  /**
   * The token's own limit (null: the default), as its row says. When it changes, the share
   * taken under the old one goes back unspent: a share of the default is far more than a
   * whole second of a token limited to a few lookups.
   */
  async learn(tokenHash: string, limit: number | null): Promise<void> {
    const effective = limit ?? this.defaultLimit;
    if (this.limitOfToken.get(tokenHash) === effective) return;
    // Not while a share is being taken: it would be stored again after this gave it back.
    for (let asking = this.asking.get(tokenHash); asking; asking = this.asking.get(tokenHash)) await asking;
    this.limitOfToken.set(tokenHash, effective);
    const share = this.shares.get(tokenHash);
    this.shares.delete(tokenHash);
    const unspent = share && !share.refused ? share.taken - share.spent : 0;
    if (unspent > 0) await giveBack(this.pool, this.perToken, tokenHash, unspent);
  }
}
