// Per-token limits of the routing API: lookups per second, in a one-second window; a batch
// counts each of its numbers (one larger than the limit never passes: split it). Checked
// before the database is asked, so a caller over its limit costs no query: the limit of a
// token is learnt from its row on each answered request, and until then (a new process)
// the default applies. Unknown tokens are limited per client address instead (each costs
// a query, and a new random token would otherwise always find a fresh counter).
//
// The counters live in this process's memory: with several instances behind a balancer a
// token gets the limit on each. Issue 11 moves them to PostgreSQL (rate-limiter-flexible
// has a PostgreSQL store with the same interface).
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { maxApiRateLimit } from "../../config.js";

/** Unknown or revoked tokens one client address may send in a minute before a 429. */
export const unknownTokensPerMinute = 60;

export class ApiRateLimits {
  // One counter per token for every limit: a token's limit is compared with what it spent,
  // so learning the limit mid-second keeps what was spent before.
  private readonly spent = new RateLimiterMemory({ keyPrefix: "api-token", points: maxApiRateLimit * 2, duration: 1 });
  private readonly limitOfToken = new Map<string, number>();
  private readonly unknown = new RateLimiterMemory({ keyPrefix: "api-unknown-token", points: unknownTokensPerMinute, duration: 60 });

  constructor(private readonly defaultLimit: number) {}

  /** Spends `lookups` of the token's second: undefined when allowed, else the seconds to wait. */
  async take(tokenHash: string, lookups: number): Promise<number | undefined> {
    const limit = this.limitOfToken.get(tokenHash) ?? this.defaultLimit;
    let spent: RateLimiterRes;
    try {
      spent = await this.spent.consume(tokenHash, lookups);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      spent = error;
    }
    return spent.consumedPoints <= limit ? undefined : Math.max(1, Math.ceil(spent.msBeforeNext / 1000));
  }

  /** Whether `address` may try another token after `unknownTokensPerMinute` unknown ones; undefined: yes, else seconds to wait. */
  async unknownTokensAllowed(address: string): Promise<number | undefined> {
    const res = await this.unknown.get(address);
    return res !== null && res.consumedPoints >= unknownTokensPerMinute ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : undefined;
  }

  /** Counts an unknown (or revoked) token sent from `address`. */
  async unknownTokenFrom(address: string): Promise<void> {
    await this.unknown.consume(address).catch((error: unknown) => {
      if (!(error instanceof RateLimiterRes)) throw error;
    });
  }

  /** The token's own limit (null: the default), as its row says. */
  learn(tokenHash: string, limit: number | null): void {
    const effective = limit ?? this.defaultLimit;
    if (this.limitOfToken.get(tokenHash) !== effective) this.limitOfToken.set(tokenHash, effective);
  }
}
