// How many wrong passwords may be tried, and by whom. Only failures count, so a user who
// signs in a hundred times a day is never slowed down, and a guesser is:
//   - per (username, client address): the main limit;
//   - per client address, whatever the username (a spray of names from one place);
//   - per username, whatever the address: a looser ceiling. While it is hit, a browser
//     that has signed in as that user before (known-device.ts) still gets its password
//     checked, and so does an address with no failure of its own for that username (one
//     guess a window); others are refused. Past twice the ceiling (addresses are cheap to
//     come by, and forged ones behind TRUST_PROXY=true), only known browsers may try.
// IPv6 clients are counted by their /64, which one client usually holds whole.
//
// A parallel burst must not let N guesses read a counter below its limit: every attempt
// reserves its point BEFORE the password is checked, and gives it back if the password was
// right. A refused attempt gives back what it reserved, so hammering a locked door neither
// counts against the other limits nor pushes the lockout further.
//
// The counters live in PostgreSQL (db/shared-counters.ts), so every app instance behind a
// balancer counts against the same limits: three instances do not give three times the
// guesses. Each attempt costs a few single-row queries, which a password hash dwarfs.
import ipaddr from "ipaddr.js";
import type pg from "pg";
import type { RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";
import { sharedCounter } from "../../db/shared-counters.js";

export interface ThrottleLimits {
  failuresPerUsernameAndAddress: number;
  failuresPerAddress: number;
  failuresPerUsername: number;
  windowMinutes: number;
}

/** What a caller does before checking a password. */
export type Gate =
  | { allowed: false; retryAfterSeconds: number }
  | {
      allowed: true;
      /**
       * The password was right (or the attempt was no guess): the reservation is given
       * back (once, however often it is called). Not calling it keeps the attempt
       * counted as a failure.
       */
      notAGuess(): Promise<void>;
    };

export interface SignInThrottle {
  /**
   * Before the password of a sign-in is checked; `username` normalised, undefined if it
   * cannot be one; `knownDevice`: the browser has signed in as this user before.
   */
  signIn(username: string | undefined, address: string, knownDevice: boolean): Promise<Gate>;
  /** Before a signed-in user's current password is checked (changing one's password). */
  currentPassword(userId: number): Promise<Gate>;
}

/** The counting key of a client address: IPv4 as is, IPv6 by its /64, IPv4-mapped IPv6 as IPv4. */
export function addressKey(ip: string): string {
  const address = ip.replace(/%.*$/, "");
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === "ipv4") return parsed.toString();
  return `${(parsed as ipaddr.IPv6).parts.slice(0, 4).map((group) => group.toString(16)).join(":")}::/64`;
}

/** Failures (and reservations in flight) under one key, and the time left in its window. */
interface Count {
  points: number;
  msLeft: number;
}

class Key {
  constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly key: string,
  ) {}

  /** The count now, without changing it. */
  async peek(): Promise<Count> {
    const res = await this.limiter.get(this.key);
    return res && res.msBeforeNext > 0 ? { points: Math.max(0, res.consumedPoints), msLeft: res.msBeforeNext } : { points: 0, msLeft: 0 };
  }

  /** One point, atomically: the count it returns includes every attempt before it. */
  async reserve(): Promise<Count & { refund(): Promise<void> }> {
    const res = await this.limiter.penalty(this.key, 1);
    const windowEnds = Date.now() + res.msBeforeNext;
    return { points: res.consumedPoints, msLeft: res.msBeforeNext, refund: () => this.refund(windowEnds) };
  }

  private async refund(windowEnds: number): Promise<void> {
    // Once the window is over, its counter is gone: there is nothing to give back, and a
    // reward now would start the next window below zero (a free guess).
    if (Date.now() >= windowEnds) return;
    const res: RateLimiterRes = await this.limiter.reward(this.key, 1);
    if (res.consumedPoints < 0) await this.limiter.penalty(this.key, -res.consumedPoints);
  }
}

/** Each reason to refuse gives its wait (ms); the attempt may go when all are over. */
function longestWait(reasons: (number | false)[]): number | undefined {
  const waits = reasons.filter((wait): wait is number => wait !== false);
  return waits.length > 0 ? Math.max(...waits) : undefined;
}

function refused(ms: number): Gate {
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) };
}

/**
 * Reserves a point under every key unless `verdict` refuses (it sees counts that include
 * this attempt and answers the wait in ms, or undefined to let it go).
 */
async function gate<K extends string>(keys: Record<K, Key>, verdict: (counts: Record<K, Count>) => number | undefined): Promise<Gate> {
  const names = Object.keys(keys) as K[];
  const each = async <T>(f: (key: Key) => Promise<T>) => {
    const values = await Promise.all(names.map((name) => f(keys[name])));
    return Object.fromEntries(names.map((name, i) => [name, values[i]])) as Record<K, T>;
  };
  // A cheap answer first: a flood against a locked door reads counters and writes none.
  const before = await each((key) => key.peek());
  const early = verdict(Object.fromEntries(names.map((name) => [name, { ...before[name], points: before[name].points + 1 }])) as Record<K, Count>);
  if (early !== undefined) return refused(early);
  // Then the real decision, on counts that include every attempt reserved before this one.
  const reserved = await each((key) => key.reserve());
  let givenBack = false;
  const giveBack = async () => {
    if (givenBack) return;
    givenBack = true;
    await Promise.all(names.map((name) => reserved[name].refund()));
  };
  const wait = verdict(reserved);
  if (wait !== undefined) {
    await giveBack();
    return refused(wait);
  }
  return { allowed: true, notAGuess: giveBack };
}

export function createSignInThrottle(limits: ThrottleLimits, pool: pg.Pool): SignInThrottle {
  const window = limits.windowMinutes * 60;
  const perPair = sharedCounter(pool, "signin-pair", limits.failuresPerUsernameAndAddress, window);
  const perAddress = sharedCounter(pool, "signin-address", limits.failuresPerAddress, window);
  const perUsername = sharedCounter(pool, "signin-username", limits.failuresPerUsername, window);
  const perUser = sharedCounter(pool, "current-password", limits.failuresPerUsernameAndAddress, window);

  return {
    signIn(username, ip, knownDevice) {
      const name = username ?? "(not a username)";
      const address = addressKey(ip);
      const keys = { pair: new Key(perPair, `${name} ${address}`), address: new Key(perAddress, address), username: new Key(perUsername, name) };
      const hardCap = 2 * limits.failuresPerUsername;
      // Over a limit means more than `limit` failures, this attempt included.
      return gate(keys, (count) => {
        const underAttack = count.username.points > limits.failuresPerUsername && !knownDevice;
        return longestWait([
          count.pair.points > limits.failuresPerUsernameAndAddress && count.pair.msLeft,
          count.address.points > limits.failuresPerAddress && count.address.msLeft,
          // Past the ceiling: an unknown browser may try only from an address with no
          // failure (and no attempt in flight) of its own for this username, and not at all
          // past the hard cap; free again when the window that blocks it ends.
          underAttack && count.username.points > hardCap && count.username.msLeft,
          underAttack && count.pair.points > 1 && Math.min(count.pair.msLeft, count.username.msLeft),
        ]);
      });
    },
    currentPassword(userId) {
      return gate({ user: new Key(perUser, String(userId)) }, (count) => longestWait([count.user.points > limits.failuresPerUsernameAndAddress && count.user.msLeft]));
    },
  };
}
